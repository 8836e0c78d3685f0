// See vector_math.h. exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| <= ln2 / 2, e^r by the
// Cephes degree-5 minimax polynomial, ln 2 split in two constants so that r is exact enough.
#include "vector_math.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

__attribute__((target("avx2,fma")))
double grao_exp_sum(const float *x, int n, float shift, float scale, float *out) {
    __m256 s = _mm256_set1_ps(shift), k = _mm256_set1_ps(scale);
    double total = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = exp8(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), s), k));
        if (out) _mm256_storeu_ps(out + i, v);
        float lanes[8];
        _mm256_storeu_ps(lanes, v);
        float block = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        total += block;
    }
    for (; i < n; i++) {
        float v = expf((x[i] - shift) * scale);
        if (out) out[i] = v;
        total += v;
    }
    return total;
}

__attribute__((target("avx2,fma")))
void grao_silu_mul(const float *gate, const float *up, float *out, int n) {
    __m256 one = _mm256_set1_ps(1.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

#else
double grao_exp_sum(const float *x, int n, float shift, float scale, float *out) {
    double total = 0;
    for (int i = 0; i < n; i++) { float v = expf((x[i] - shift) * scale); if (out) out[i] = v; total += v; }
    return total;
}
void grao_silu_mul(const float *gate, const float *up, float *out, int n) {
    for (int i = 0; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
#endif
