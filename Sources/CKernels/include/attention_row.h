// The two halves of one query row's attention over cached keys and values, for decode steps, where
// a BLAS call per head and segment costs more in overhead than in arithmetic.
#ifndef GRAO_ATTENTION_ROW_H
#define GRAO_ATTENTION_ROW_H

// scores[t] = scale * Σ_d q[d] * keys[t*ld + d]  for t < n, d < hd.
void grao_dot_rows(const float *q, const float *keys, int ld, int n, int hd, float scale, float *scores);

// out[d] += Σ_t weights[t] * values[t*ld + d]  for t < n, d < hd.
void grao_weighted_rows_add(const float *weights, const float *values, int ld, int n, int hd, float *out);

#endif
