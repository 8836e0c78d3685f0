import VectorKernels

/// Dot products and weighted sums over strided rows: one decode-step query against cached keys and
/// values. Vectorized in `VectorKernels` when the CPU has AVX2/FMA (checked once, like `Linear`), plain
/// loops otherwise; cheap enough to call per head where a BLAS call would cost more in overhead than in arithmetic.
public enum AttentionRow {
    /// scores[t] = scale · q · keys[t] for t < n; keys rows of `hd` floats, `ld` apart.
    public static func dots(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, ld: Int, count n: Int, headDim hd: Int,
                            scale: Float, scores: UnsafeMutablePointer<Float>) {
        if Linear.smallBatchAvailable {
            return RowKernels.dotRows(q: q, keys: keys, ld: ld, count: n, headDim: hd, scale: scale, scores: scores)
        }
        for t in 0..<n {
            var s: Float = 0
            for d in 0..<hd { s += q[d] * keys[t * ld + d] }
            scores[t] = s * scale
        }
    }

    /// out += Σ_t weights[t] · values[t] for t < n; values rows of `hd` floats, `ld` apart.
    public static func weightedSum(weights: UnsafePointer<Float>, values: UnsafePointer<Float>, ld: Int, count n: Int,
                                   headDim hd: Int, out: UnsafeMutablePointer<Float>) {
        if Linear.smallBatchAvailable {
            return RowKernels.weightedRowsAdd(weights: weights, values: values, ld: ld, count: n, headDim: hd, out: out)
        }
        for d in 0..<hd {
            var s = out[d]
            for t in 0..<n { s += weights[t] * values[t * ld + d] }
            out[d] = s
        }
    }
}
