import Foundation
import LinearAlgebra

extension LlamaModel {
    /// Causal grouped-query attention for one entry's `rows` rows (positions p0..<p0+rows, p0 =
    /// `cache.count`), whose keys and values the caller has already written into the cache. Reads q
    /// from `scratch.qkv`, writes the concatenated heads into `scratch.attention`.
    ///
    /// `scores` has room for max(rows, 1) × T floats. Prefill products go through BLAS with leading
    /// dimensions that pick one head out of the interleaved rows; a forked cache contributes one
    /// product per segment (parent prefix, then own positions).
    func attention(layer: Int, cache: KVCache, rowStart: Int, rows n: Int, scratch s: ForwardWorkspace,
                   scores: UnsafeMutablePointer<Float>) {
        if n == 0 { return }
        let cfg = config
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount
        let p0 = cache.count
        let total = p0 + n  // T: positions visible to the last row
        let segments = cache.segments(layer: layer, total: total)
        let scale = Float(1 / Double(hd).squareRoot())

        if n == 1 {
            // Decode: one query row; per head, dot products with the cached keys, softmax, weighted sum
            // of the cached values (AttentionRow: cheaper than BLAS calls at this size).
            let q = s.qkv.pointer + rowStart * qkvw  // [NH, HD] within the row
            let out = s.attention.pointer + rowStart * qd
            for h in 0..<cfg.headCount {
                let kvh = h / group
                var offset = 0
                for segment in segments {
                    AttentionRow.dots(q: q + h * hd, keys: segment.keys + kvh * hd, ld: kvd, count: segment.length,
                                      headDim: hd, scale: scale, scores: scores + offset)
                    offset += segment.length
                }
                Kernels.softmax(scores, count: total, rowWidth: total)
                (out + h * hd).update(repeating: 0, count: hd)
                offset = 0
                for segment in segments {
                    AttentionRow.weightedSum(weights: scores + offset, values: segment.values + kvh * hd, ld: kvd,
                                             count: segment.length, headDim: hd, out: out + h * hd)
                    offset += segment.length
                }
            }
            return
        }

        // Prefill / teacher forcing: per head, scores [n, T] = Q_h · K_hᵀ, causal softmax, then · V_h.
        for h in 0..<cfg.headCount {
            let kvh = h / group
            let q = s.qkv.pointer + rowStart * qkvw + h * hd  // [n, HD], row stride QKV
            var offset = 0
            for segment in segments {
                BLAS.gemm(transA: false, transB: true, m: n, n: segment.length, k: hd, alpha: scale,
                          a: q, lda: qkvw, b: segment.keys + kvh * hd, ldb: kvd, c: scores + offset, ldc: total)
                offset += segment.length
            }
            for i in 0..<n { Kernels.softmax(scores + i * total, count: p0 + i + 1, rowWidth: total) }
            offset = 0
            let out = s.attention.pointer + rowStart * qd + h * hd  // [n, HD], row stride QD
            for (index, segment) in segments.enumerated() {
                BLAS.gemm(transA: false, transB: false, m: n, n: hd, k: segment.length,
                          a: scores + offset, lda: total, b: segment.values + kvh * hd, ldb: kvd,
                          beta: index == 0 ? 0 : 1, c: out, ldc: qd)
                offset += segment.length
            }
        }
    }
}
