// Matrix products with few rows (decode steps: 1 to 16 sequences), where OpenBLAS 0.3.21 spends
// most of its time packing the weight matrix it reads only once. These kernels stream each weight
// row once and keep the few input rows in L1.
#ifndef GRAO_SMALL_M_H
#define GRAO_SMALL_M_H

// 1 when the CPU has AVX2 and FMA (the kernels need them), else 0: callers then use BLAS.
int grao_small_m_available(void);

// y[r*ldy + j] (=|+=) sum_p x[r*ldx + p] * w[j*ldw + p]  for r < m, j0 <= j < j1, p < k.
// W is stored [out][in] (rows of k contiguous inputs), i.e. Y = X · Wᵀ. Any m >= 1.
void grao_small_m_nt(int m, int k, const float *x, int ldx, const float *w, int ldw,
                     float *y, int ldy, int j0, int j1, int accumulate);

#endif
