import LinearAlgebra

extension LlamaModel {
    /// Adds the adapter's contribution to a projection output: Y[:, col..<col+out] += s·(X·A)·B, and saves
    /// U = X·A for the backward pass. X [N, in] contiguous; Y [N, ld]; U [N, r].
    func loraForward(_ m: LoRAMatrices, target: LoRATarget, rank r: Int, scale s: Float, rows n: Int,
                     x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, saved u: UnsafeMutablePointer<Float>) {
        let g = target.geometry(config)
        BLAS.gemm(transA: false, transB: false, m: n, n: r, k: g.inputs, a: x, lda: g.inputs, b: m.a.pointer, ldb: r,
                  c: u, ldc: r)
        BLAS.gemm(transA: false, transB: false, m: n, n: g.outputs, k: r, alpha: s, a: u, lda: r, b: m.b.pointer,
                  ldb: g.outputs, beta: 1, c: y + g.column, ldc: g.ld)
    }

    /// Backward of `loraForward`: dB += s·Uᵀ·dY, dU = s·dY·Bᵀ, dA += Xᵀ·dU, dX += dU·Aᵀ.
    /// dY is the gradient of the fused output [N, ld]; dX [N, in] is accumulated.
    func loraBackward(_ m: LoRAMatrices, gradient dm: LoRAMatrices, target: LoRATarget, rank r: Int, scale s: Float,
                      rows n: Int, x: UnsafePointer<Float>, saved u: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                      scratch dU: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>) {
        let g = target.geometry(config)
        let dYSlice = dY + g.column
        // dB [r, out] += s · Uᵀ [r, N] · dY [N, out]
        BLAS.gemm(transA: true, transB: false, m: r, n: g.outputs, k: n, alpha: s, a: u, lda: r, b: dYSlice, ldb: g.ld,
                  beta: 1, c: dm.b.pointer, ldc: g.outputs)
        // dU [N, r] = s · dY [N, out] · Bᵀ [out, r]
        BLAS.gemm(transA: false, transB: true, m: n, n: r, k: g.outputs, alpha: s, a: dYSlice, lda: g.ld,
                  b: m.b.pointer, ldb: g.outputs, c: dU, ldc: r)
        // dA [in, r] += Xᵀ [in, N] · dU [N, r]
        BLAS.gemm(transA: true, transB: false, m: g.inputs, n: r, k: n, a: x, lda: g.inputs, b: dU, ldb: r,
                  beta: 1, c: dm.a.pointer, ldc: r)
        // dX [N, in] += dU [N, r] · Aᵀ [r, in]
        BLAS.gemm(transA: false, transB: true, m: n, n: g.inputs, k: r, a: dU, lda: r, b: m.a.pointer, ldb: r,
                  beta: 1, c: dX, ldc: g.inputs)
    }
}
