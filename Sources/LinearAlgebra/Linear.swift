/// The one matrix product the model is made of: Y[m×n] = X[m×k] · W[k×n] (+ Y when accumulating),
/// with the weight stored input-major `[in=k][out=n]`. That layout lets one-row products (single
/// sequence decode) use gemv with a transposed matrix, which reads the weights in the fastest order,
/// and makes small-batch decode an NN sgemm, which OpenBLAS runs faster than NT for few rows.
public enum Linear {
    /// Y[m×n] (=|+=) X[m×k] · W[k×n]; X and Y contiguous with row strides `ldx` / `ldy`.
    public static func forward(
        m: Int, k: Int, n: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false
    ) {
        if m == 1 {
            BLAS.gemv(trans: true, rows: k, cols: n, a: w, lda: n, x: x, beta: accumulate ? 1 : 0, y: y)
        } else {
            BLAS.gemm(transA: false, transB: false, m: m, n: n, k: k, a: x, lda: ldx, b: w, ldb: n,
                      beta: accumulate ? 1 : 0, c: y, ldc: ldy)
        }
    }

    /// Convenience for contiguous X [m×k] and Y [m×n].
    public static func forward(
        m: Int, k: Int, n: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, accumulate: Bool = false
    ) {
        forward(m: m, k: k, n: n, x: x, ldx: k, w: w, y: y, ldy: n, accumulate: accumulate)
    }
}
