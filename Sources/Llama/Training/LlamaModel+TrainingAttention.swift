import LinearAlgebra

extension LlamaModel {
    /// Causal grouped-query attention of a packed batch, each sequence over its own rows, reading q, k and
    /// v straight from the fused projection rows (no cache).
    ///
    /// Work is split into tasks of one sequence and one KV head (its `group` query heads), run on
    /// `TrainingThreads` workers. Within a head, query rows go in blocks of `blockRows`: block [r0, r1)
    /// only needs keys 0..<r1, so the products skip most of the masked upper triangle (at T = 256 and
    /// 64-row blocks, 62 % of the full T×T work). `scores` holds `workers` × [blockRows, T] floats.
    func trainingAttentionForward(_ batch: TrainingBatch, qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                                  scores: UnsafeMutablePointer<Float>, workers: Int, blockRows: Int = 64) {
        // qkv [N, QKV] (q, k after RoPE); out [N, QD]
        let cfg = config
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount
        let scale = Float(1 / Double(hd).squareRoot())
        let longest = batch.lengths.max() ?? 0
        let tasks = attentionTasks(batch)
        nonisolated(unsafe) let qkv = qkv, out = out, scores = scores
        TrainingThreads.run(workers: workers) { worker in
            let p = scores + worker * blockRows * longest  // [blockRows, t], ld t
            for (start, t, kvh) in stride(from: worker, to: tasks.count, by: workers).map({ tasks[$0] }) {
                let base = qkv + start * qkvw
                let k = base + qd + kvh * hd, v = base + qd + kvd + kvh * hd  // [T, HD], ld QKV
                for h in (kvh * group)..<((kvh + 1) * group) {
                    for r0 in stride(from: 0, to: t, by: blockRows) {
                        let r1 = min(r0 + blockRows, t)
                        causalProbabilities(q: base + r0 * qkvw + h * hd, k: k, rows: r0..<r1, ld: qkvw, headDim: hd,
                                            scale: scale, out: p, ldOut: t)
                        // out[r0..<r1] [rb, HD] = P [rb, r1] · V [r1, HD]
                        BLAS.gemm(transA: false, transB: false, m: r1 - r0, n: hd, k: r1, a: p, lda: t, b: v,
                                  ldb: qkvw, c: out + (start + r0) * qd + h * hd, ldc: qd)
                    }
                }
            }
        }
    }

    /// Backward of `trainingAttentionForward`, recomputing each block's probabilities P from the saved q
    /// and k: dV += Pᵀ·dO, dP = dO·Vᵀ, dS = causal softmax backward, dQ = s·dS·K, dK += s·dSᵀ·Q. A task owns
    /// its KV head's dK and dV rows (its query heads add into them); dQKV is fully written, so it needs no
    /// zeroing. `scores` and `dScores` hold `workers` × [blockRows, T] floats each.
    func trainingAttentionBackward(_ batch: TrainingBatch, qkv: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                   dQKV: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                                   dScores: UnsafeMutablePointer<Float>, workers: Int, blockRows: Int = 64) {
        // qkv, dQKV [N, QKV]; dOut [N, QD]
        let cfg = config
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount
        let scale = Float(1 / Double(hd).squareRoot())
        let longest = batch.lengths.max() ?? 0
        let tasks = attentionTasks(batch)
        nonisolated(unsafe) let qkv = qkv, dOut = dOut, dQKV = dQKV, scores = scores, dScores = dScores
        TrainingThreads.run(workers: workers) { worker in
            let p = scores + worker * blockRows * longest, dp = dScores + worker * blockRows * longest  // ld t
            for (start, t, kvh) in stride(from: worker, to: tasks.count, by: workers).map({ tasks[$0] }) {
                let base = qkv + start * qkvw, dBase = dQKV + start * qkvw
                let k = base + qd + kvh * hd, v = base + qd + kvd + kvh * hd  // [T, HD], ld QKV
                let dK = dBase + qd + kvh * hd, dV = dBase + qd + kvd + kvh * hd
                for i in 0..<t {
                    (dK + i * qkvw).update(repeating: 0, count: hd)
                    (dV + i * qkvw).update(repeating: 0, count: hd)
                }
                for h in (kvh * group)..<((kvh + 1) * group) {
                    for r0 in stride(from: 0, to: t, by: blockRows) {
                        let r1 = min(r0 + blockRows, t), rb = r1 - r0
                        let q = base + r0 * qkvw + h * hd, dO = dOut + (start + r0) * qd + h * hd  // [rb, HD]
                        causalProbabilities(q: q, k: k, rows: r0..<r1, ld: qkvw, headDim: hd, scale: scale,
                                            out: p, ldOut: t)
                        // dV [r1, HD] += Pᵀ [r1, rb] · dO [rb, HD]
                        BLAS.gemm(transA: true, transB: false, m: r1, n: hd, k: rb, a: p, lda: t, b: dO, ldb: qd,
                                  beta: 1, c: dV, ldc: qkvw)
                        // dP [rb, r1] = dO · Vᵀ, then dS in place
                        BLAS.gemm(transA: false, transB: true, m: rb, n: r1, k: hd, a: dO, lda: qd, b: v, ldb: qkvw,
                                  c: dp, ldc: t)
                        Kernels.causalSoftmaxBackward(probabilities: p, gradient: dp, rows: r0..<r1, ld: t)
                        // dQ [rb, HD] = s · dS [rb, r1] · K [r1, HD]
                        BLAS.gemm(transA: false, transB: false, m: rb, n: hd, k: r1, alpha: scale, a: dp, lda: t,
                                  b: k, ldb: qkvw, c: dBase + r0 * qkvw + h * hd, ldc: qkvw)
                        // dK [r1, HD] += s · dSᵀ [r1, rb] · Q [rb, HD]
                        BLAS.gemm(transA: true, transB: false, m: r1, n: hd, k: rb, alpha: scale, a: dp, lda: t,
                                  b: q, ldb: qkvw, beta: 1, c: dK, ldc: qkvw)
                    }
                }
            }
        }
    }

    /// (first row, length, KV head) of every attention task; empty sequences have none.
    private func attentionTasks(_ batch: TrainingBatch) -> [(start: Int, length: Int, kvHead: Int)] {
        zip(batch.starts, batch.lengths).filter { $0.1 > 0 }.flatMap { start, t in
            (0..<config.kvHeadCount).map { (start, t, $0) }
        }
    }

    /// P[i - r0, j] = softmax_j(s·q_i·k_j) for rows i in `rows` over keys j ≤ i, 0 for i < j < rows.upperBound.
    /// q points at row r0's query; k at key 0 (both with row stride `ld`); out [rows.count, ldOut].
    private func causalProbabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, rows: Range<Int>, ld: Int,
                                     headDim hd: Int, scale: Float, out: UnsafeMutablePointer<Float>, ldOut: Int) {
        let r1 = rows.upperBound
        BLAS.gemm(transA: false, transB: true, m: rows.count, n: r1, k: hd, alpha: scale, a: q, lda: ld, b: k, ldb: ld,
                  c: out, ldc: ldOut)
        for i in rows { Kernels.softmax(out + (i - rows.lowerBound) * ldOut, count: i + 1, rowWidth: r1) }
    }
}
