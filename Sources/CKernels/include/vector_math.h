// Exponentials over rows (softmax, log-sum-exp, sampling, SiLU), 8 lanes at a time: the model
// computes ~60 million of them in a 512-token prefill, too many for scalar expf.
#ifndef GRAO_VECTOR_MATH_H
#define GRAO_VECTOR_MATH_H

// out[i] = exp((x[i] - shift) * scale) for i < n (out may equal x, or be NULL to only sum);
// returns the sum of those values. Relative error below 2e-7 for arguments in [-87, 88];
// arguments below -87.3 give about 1e-38 rather than 0. Needs AVX2/FMA (grao_small_m_available).
double grao_exp_sum(const float *x, int n, float shift, float scale, float *out);

// out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n.
void grao_silu_mul(const float *gate, const float *up, float *out, int n);

#endif
