import LinearAlgebra

extension LlamaModel {
    /// Adds the adapter's contribution to a projection output: Y[:, col..<col+out] += s·(X·Aᵀ)·Bᵀ, and saves
    /// U = X·Aᵀ for the backward pass. X [N, in] contiguous; Y [N, ld]; U [N, r]; A [r, in]; B [out, r].
    func loraForward(_ m: LoRAMatrices, target: LoRATarget, rank r: Int, scale s: Float, rows n: Int,
                     x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, saved u: UnsafeMutablePointer<Float>) {
        let g = target.geometry(config)
        TrainingThreads.gemm(transA: false, transB: true, m: n, n: r, k: g.inputs, a: x, lda: g.inputs, b: m.a.pointer,
                  ldb: g.inputs, c: u, ldc: r)
        TrainingThreads.gemm(transA: false, transB: true, m: n, n: g.outputs, k: r, alpha: s, a: u, lda: r, b: m.b.pointer,
                  ldb: r, beta: 1, c: y + g.column, ldc: g.ld)
    }

    /// Backward of `loraForward`: dB += s·dYᵀ·U, dU = s·dY·B, dA += dUᵀ·X, dX += dU·A.
    /// dY is the gradient of the fused output [N, ld]; dX [N, in] is accumulated.
    func loraBackward(_ m: LoRAMatrices, gradient dm: LoRAMatrices, target: LoRATarget, rank r: Int, scale s: Float,
                      rows n: Int, x: UnsafePointer<Float>, saved u: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                      scratch dU: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>) {
        let g = target.geometry(config)
        let dYSlice = dY + g.column
        // dB [out, r] += s · dYᵀ [out, N] · U [N, r]
        TrainingThreads.gemm(transA: true, transB: false, m: g.outputs, n: r, k: n, alpha: s, a: dYSlice, lda: g.ld, b: u, ldb: r,
                  beta: 1, c: dm.b.pointer, ldc: r)
        // dU [N, r] = s · dY [N, out] · B [out, r]
        TrainingThreads.gemm(transA: false, transB: false, m: n, n: r, k: g.outputs, alpha: s, a: dYSlice, lda: g.ld,
                  b: m.b.pointer, ldb: r, c: dU, ldc: r)
        // dA [r, in] += dUᵀ [r, N] · X [N, in]
        TrainingThreads.gemm(transA: true, transB: false, m: r, n: g.inputs, k: n, a: dU, lda: r, b: x, ldb: g.inputs,
                  beta: 1, c: dm.a.pointer, ldc: g.inputs)
        // dX [N, in] += dU [N, r] · A [r, in]
        TrainingThreads.gemm(transA: false, transB: false, m: n, n: g.inputs, k: r, a: dU, lda: r, b: m.a.pointer, ldb: g.inputs,
                  beta: 1, c: dX, ldc: g.inputs)
    }
}
