/// Reference kernels written as plain loops: slow, obviously right, and the yardstick every fast
/// kernel is tested against (llm.c keeps `matmul_forward_naive` for the same reason). They accumulate
/// in Double so that the reference's own rounding is negligible next to the tolerance.
public enum Naive {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C with the same conventions as `BLAS.gemm`.
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let aip = transA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(aip) * Double(bpj)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }

    /// y = alpha · op(A) · x + beta · y with the same conventions as `BLAS.gemv`.
    public static func gemv(
        trans: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        let outCount = trans ? cols : rows
        let inCount = trans ? rows : cols
        for o in 0..<outCount {
            var sum: Double = 0
            for i in 0..<inCount {
                let aoi = trans ? a[i * lda + o] : a[o * lda + i]
                sum += Double(aoi) * Double(x[i])
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(y[o])
            y[o] = Float(Double(alpha) * sum + old)
        }
    }
}
