/// The two halves of one query row's attention over cached keys and values, for decode steps, where a BLAS
/// call per head and segment costs more in overhead than in arithmetic. Requires `CPUFeatures.hasAVX2FMA`.
public enum RowKernels {
    /// scores[t] = scale · Σ_d q[d] · keys[t·ld + d] for t < n, d < hd.
    public static func dotRows(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, ld: Int, count n: Int,
                               headDim hd: Int, scale: Float, scores: UnsafeMutablePointer<Float>) {
        for t in 0..<n {
            let key = keys + t * ld
            var acc = SIMD8<Float>()
            var d = 0
            while d + 8 <= hd {
                acc.addProduct(load8(q + d), load8(key + d))
                d &+= 8
            }
            var s = acc.horizontalSum
            while d < hd {
                s += q[d] * key[d]
                d += 1
            }
            scores[t] = s * scale
        }
    }

    /// out[d] += Σ_t weights[t] · values[t·ld + d] for t < n, d < hd.
    public static func weightedRowsAdd(weights: UnsafePointer<Float>, values: UnsafePointer<Float>, ld: Int,
                                       count n: Int, headDim hd: Int, out: UnsafeMutablePointer<Float>) {
        var d = 0
        while d + 8 <= hd {
            var acc = load8(out + d)
            for t in 0..<n { acc.addProduct(SIMD8(repeating: weights[t]), load8(values + t * ld + d)) }
            store8(acc, out + d)
            d &+= 8
        }
        while d < hd {
            var s = out[d]
            for t in 0..<n { s += weights[t] * values[t * ld + d] }
            out[d] = s
            d += 1
        }
    }
}
