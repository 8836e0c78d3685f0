import LinearAlgebra

extension LlamaModel {
    /// Causal grouped-query attention of a packed batch, each sequence over its own rows, reading q, k and
    /// v straight from the fused projection rows (no cache). Same products and softmax as the inference
    /// prefill, so both give the same numbers.
    func trainingAttentionForward(_ batch: TrainingBatch, qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                  scores: UnsafeMutablePointer<Float>) {
        // qkv [N, QKV] (q, k after RoPE); out [N, QD]; scores [T, T]
        let cfg = config
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount
        let scale = Float(1 / Double(hd).squareRoot())
        for (start, t) in zip(batch.starts, batch.lengths) where t > 0 {
            let base = qkv + start * qkvw
            for h in 0..<cfg.headCount {
                let kvh = h / group
                let q = base + h * hd, k = base + qd + kvh * hd, v = base + qd + kvd + kvh * hd  // [T, HD], ld QKV
                BLAS.gemm(transA: false, transB: true, m: t, n: t, k: hd, alpha: scale, a: q, lda: qkvw, b: k,
                          ldb: qkvw, c: scores, ldc: t)
                for i in 0..<t { Kernels.softmax(scores + i * t, count: i + 1, rowWidth: t) }
                BLAS.gemm(transA: false, transB: false, m: t, n: hd, k: t, a: scores, lda: t, b: v, ldb: qkvw,
                          c: out + start * qd + h * hd, ldc: qd)
            }
        }
    }

    /// Backward of `trainingAttentionForward`, recomputing the probabilities P from the saved q and k:
    /// dP = dO·Vᵀ, dS = causal softmax backward, dQ = s·dS·K, dK += s·dSᵀ·Q, dV += Pᵀ·dO. The `group`
    /// query heads sharing a KV head add their dK and dV; dQKV is fully written, so it needs no zeroing.
    func trainingAttentionBackward(_ batch: TrainingBatch, qkv: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                   dQKV: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                                   dScores: UnsafeMutablePointer<Float>) {
        // qkv, dQKV [N, QKV]; dOut [N, QD]; scores, dScores [T, T]
        let cfg = config
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount
        let scale = Float(1 / Double(hd).squareRoot())
        for (start, t) in zip(batch.starts, batch.lengths) where t > 0 {
            let base = qkv + start * qkvw, dBase = dQKV + start * qkvw
            for h in 0..<cfg.headCount {
                let kvh = h / group
                let first = h % group == 0
                let q = base + h * hd, k = base + qd + kvh * hd, v = base + qd + kvd + kvh * hd  // [T, HD], ld QKV
                let dO = dOut + start * qd + h * hd  // [T, HD], ld QD
                BLAS.gemm(transA: false, transB: true, m: t, n: t, k: hd, alpha: scale, a: q, lda: qkvw, b: k,
                          ldb: qkvw, c: scores, ldc: t)
                for i in 0..<t { Kernels.softmax(scores + i * t, count: i + 1, rowWidth: t) }
                // dV [T, HD] (+)= Pᵀ · dO
                BLAS.gemm(transA: true, transB: false, m: t, n: hd, k: t, a: scores, lda: t, b: dO, ldb: qd,
                          beta: first ? 0 : 1, c: dBase + qd + kvd + kvh * hd, ldc: qkvw)
                // dP [T, T] = dO · Vᵀ, then dS in place
                BLAS.gemm(transA: false, transB: true, m: t, n: t, k: hd, a: dO, lda: qd, b: v, ldb: qkvw,
                          c: dScores, ldc: t)
                Kernels.causalSoftmaxBackward(probabilities: scores, gradient: dScores, rows: t, ld: t)
                // dQ [T, HD] = s · dS · K
                BLAS.gemm(transA: false, transB: false, m: t, n: hd, k: t, alpha: scale, a: dScores, lda: t, b: k,
                          ldb: qkvw, c: dBase + h * hd, ldc: qkvw)
                // dK [T, HD] (+)= s · dSᵀ · Q
                BLAS.gemm(transA: true, transB: false, m: t, n: hd, k: t, alpha: scale, a: dScores, lda: t, b: q,
                          ldb: qkvw, beta: first ? 0 : 1, c: dBase + qd + kvh * hd, ldc: qkvw)
            }
        }
    }
}
