// See small_m.h. Written with AVX2/FMA intrinsics in functions compiled for that target only, so
// the rest of the binary stays baseline x86-64 and the caller checks the CPU at run time.
#include "small_m.h"

#if defined(__x86_64__)
#include <immintrin.h>

int grao_small_m_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static inline void store(float *y, float value, int accumulate) {
    *y = accumulate ? *y + value : value;
}

// Two weight rows (j, j+1) against up to four input rows: 8 accumulators, 6 loads per 8 FMAs.
__attribute__((target("avx2,fma")))
static void block_2x4(int rows, int k, const float *x, int ldx, const float *w0, const float *w1,
                      float *y, int ldy, int j, int two, int accumulate) {
    // Missing input rows alias row 0; their results are computed and dropped.
    const float *x0 = x, *x1 = rows > 1 ? x + ldx : x, *x2 = rows > 2 ? x + 2 * ldx : x, *x3 = rows > 3 ? x + 3 * ldx : x;
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 v0 = _mm256_loadu_ps(w0 + p), v1 = _mm256_loadu_ps(w1 + p);
        __m256 b0 = _mm256_loadu_ps(x0 + p), b1 = _mm256_loadu_ps(x1 + p);
        __m256 b2 = _mm256_loadu_ps(x2 + p), b3 = _mm256_loadu_ps(x3 + p);
        a00 = _mm256_fmadd_ps(v0, b0, a00); a01 = _mm256_fmadd_ps(v0, b1, a01);
        a02 = _mm256_fmadd_ps(v0, b2, a02); a03 = _mm256_fmadd_ps(v0, b3, a03);
        a10 = _mm256_fmadd_ps(v1, b0, a10); a11 = _mm256_fmadd_ps(v1, b1, a11);
        a12 = _mm256_fmadd_ps(v1, b2, a12); a13 = _mm256_fmadd_ps(v1, b3, a13);
    }
    float s0[4] = {hsum(a00), hsum(a01), hsum(a02), hsum(a03)};
    float s1[4] = {hsum(a10), hsum(a11), hsum(a12), hsum(a13)};
    const float *xs[4] = {x0, x1, x2, x3};
    for (; p < k; p++) {  // tail when k is not a multiple of 8
        for (int r = 0; r < 4; r++) { s0[r] += w0[p] * xs[r][p]; s1[r] += w1[p] * xs[r][p]; }
    }
    for (int r = 0; r < rows; r++) {
        store(y + r * ldy + j, s0[r], accumulate);
        if (two) store(y + r * ldy + j + 1, s1[r], accumulate);
    }
}

// One input row against four weight rows (single-sequence decode): 4 accumulators, 5 loads per 4 FMAs.
__attribute__((target("avx2,fma")))
static void block_4x1(int k, const float *x, const float *w, int ldw, float *y, int count, int accumulate) {
    const float *w0 = w, *w1 = count > 1 ? w + ldw : w, *w2 = count > 2 ? w + 2 * ldw : w, *w3 = count > 3 ? w + 3 * ldw : w;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 b = _mm256_loadu_ps(x + p);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + p), b, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + p), b, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + p), b, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + p), b, a3);
    }
    float s[4] = {hsum(a0), hsum(a1), hsum(a2), hsum(a3)};
    const float *ws[4] = {w0, w1, w2, w3};
    for (; p < k; p++) {
        for (int i = 0; i < 4; i++) s[i] += ws[i][p] * x[p];
    }
    for (int i = 0; i < count; i++) store(y + i, s[i], accumulate);
}

__attribute__((target("avx2,fma")))
void grao_small_m_nt(int m, int k, const float *x, int ldx, const float *w, int ldw,
                     float *y, int ldy, int j0, int j1, int accumulate) {
    if (m == 1) {
        for (int j = j0; j < j1; j += 4) {
            block_4x1(k, x, w + (long)j * ldw, ldw, y + j, j1 - j < 4 ? j1 - j : 4, accumulate);
        }
        return;
    }
    for (int j = j0; j < j1; j += 2) {
        int two = j + 1 < j1;
        const float *w0 = w + (long)j * ldw, *w1 = two ? w0 + ldw : w0;
        for (int r = 0; r < m; r += 4) {
            int rows = m - r < 4 ? m - r : 4;
            block_2x4(rows, k, x + (long)r * ldx, ldx, w0, w1, y + (long)r * ldy, ldy, j, two, accumulate);
        }
    }
}

#else
int grao_small_m_available(void) { return 0; }
void grao_small_m_nt(int m, int k, const float *x, int ldx, const float *w, int ldw,
                     float *y, int ldy, int j0, int j1, int accumulate) {}
#endif
