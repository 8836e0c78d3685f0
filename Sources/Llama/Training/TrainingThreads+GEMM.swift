import LinearAlgebra

extension TrainingThreads {
    /// Products below this many multiply-adds run as one call: splitting costs a hand-off (~10 µs) that a
    /// product this small (~40 µs on one core) does not repay.
    static let splitMinimum = 1 << 22

    /// C[m×n] = alpha · op(A) · op(B) + beta · C (row-major, `BLAS.gemm`'s conventions), with C cut into one
    /// block of whole rows or whole columns per worker, each block a single-threaded OpenBLAS call.
    ///
    /// Why not OpenBLAS's own threads: between two products a training pass runs element-wise layers on
    /// both cores, and OpenBLAS's idle worker spins (yielding) for a while after every call, taking a core
    /// from them; its two-thread weight-gradient layout (TN) also ran at 160-180 GF/s where two
    /// single-threaded halves run at ~2 × 103. Each block is an ordinary sgemm over disjoint output, so the
    /// result is bit-identical to computing that block alone. The longer side of C is cut (at multiples of
    /// 16, OpenBLAS's register-block width), so both halves keep full-size inner products.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, workers: Int? = nil) {
        let side = max(m, n)
        let parts = m * n * k < splitMinimum ? 1 : min(workers ?? Self.workers, side / 16)
        if parts <= 1 {
            return singleThreadedBLAS {
                BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                          ldb: ldb, beta: beta, c: c, ldc: ldc)
            }
        }
        let per = ((side + parts - 1) / parts + 15) & ~15
        nonisolated(unsafe) let a = a, b = b, c = c
        run(workers: parts) { part in
            let lo = min(part * per, side), hi = min(lo + per, side)
            guard lo < hi else { return }
            if n >= m {  // columns lo..<hi of C: columns of op(B)
                let bBlock = transB ? b + lo * ldb : b + lo
                BLAS.gemm(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                          b: bBlock, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            } else {  // rows lo..<hi of C: rows of op(A)
                let aBlock = transA ? a + lo : a + lo * lda
                BLAS.gemm(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha, a: aBlock, lda: lda,
                          b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
            }
        }
    }

    /// Y[m×n] (=|+=) X[m×k] · Wᵀ with W stored [n][k] (a projection's forward product), split as `gemm`.
    static func linear(m: Int, k: Int, n: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                       y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        gemm(transA: false, transB: true, m: m, n: n, k: k, a: x, lda: k, b: w, ldb: k, beta: accumulate ? 1 : 0,
             c: y, ldc: n)
    }
}
