import CKernels

/// Dot products and weighted sums over strided rows: one decode-step query against cached keys and
/// values. Vectorized in `CKernels` (AVX2/FMA when present, scalar C otherwise), cheap enough to call
/// per head where a BLAS call would cost more in overhead than in arithmetic.
public enum AttentionRow {
    /// scores[t] = scale · q · keys[t] for t < n; keys rows of `hd` floats, `ld` apart.
    public static func dots(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, ld: Int, count n: Int, headDim hd: Int,
                            scale: Float, scores: UnsafeMutablePointer<Float>) {
        grao_dot_rows(q, keys, Int32(ld), Int32(n), Int32(hd), scale, scores)
    }

    /// out += Σ_t weights[t] · values[t] for t < n; values rows of `hd` floats, `ld` apart.
    public static func weightedSum(weights: UnsafePointer<Float>, values: UnsafePointer<Float>, ld: Int, count n: Int,
                                   headDim hd: Int, out: UnsafeMutablePointer<Float>) {
        grao_weighted_rows_add(weights, values, Int32(ld), Int32(n), Int32(hd), out)
    }
}
