// See attention_row.h. AVX2/FMA when the CPU has it (callers check grao_small_m_available), scalar
// tails and a scalar build elsewhere.
#include "attention_row.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
void grao_dot_rows(const float *q, const float *keys, int ld, int n, int hd, float scale, float *scores) {
    for (int t = 0; t < n; t++) {
        const float *k = keys + (long)t * ld;
        __m256 acc = _mm256_setzero_ps();
        int d = 0;
        for (; d + 8 <= hd; d += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), acc);
        float lanes[8];
        _mm256_storeu_ps(lanes, acc);
        float s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (; d < hd; d++) s += q[d] * k[d];
        scores[t] = s * scale;
    }
}

__attribute__((target("avx2,fma")))
void grao_weighted_rows_add(const float *weights, const float *values, int ld, int n, int hd, float *out) {
    int d = 0;
    for (; d + 8 <= hd; d += 8) {
        __m256 acc = _mm256_loadu_ps(out + d);
        for (int t = 0; t < n; t++) {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(weights[t]), _mm256_loadu_ps(values + (long)t * ld + d), acc);
        }
        _mm256_storeu_ps(out + d, acc);
    }
    for (; d < hd; d++) {
        float s = out[d];
        for (int t = 0; t < n; t++) s += weights[t] * values[(long)t * ld + d];
        out[d] = s;
    }
}

#else
void grao_dot_rows(const float *q, const float *keys, int ld, int n, int hd, float scale, float *scores) {
    for (int t = 0; t < n; t++) {
        float s = 0;
        for (int d = 0; d < hd; d++) s += q[d] * keys[(long)t * ld + d];
        scores[t] = s * scale;
    }
}
void grao_weighted_rows_add(const float *weights, const float *values, int ld, int n, int hd, float *out) {
    for (int d = 0; d < hd; d++) {
        float s = out[d];
        for (int t = 0; t < n; t++) s += weights[t] * values[(long)t * ld + d];
        out[d] = s;
    }
}
#endif
