import CBLAS

/// Thin, typed entry points into OpenBLAS; everything that calls C BLAS goes through here so that
/// the C interface stays in one place. All matrices are row-major with explicit leading dimensions
/// (`lda` = distance in floats between consecutive rows), so callers can address sub-blocks such as
/// one attention head inside a `[T, heads*headDim]` buffer.
public enum BLAS {
    /// The OpenBLAS kernel family picked at run time (e.g. "Cooperlake"); reported by benchmarks.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses for one call; the compute engine sets this once at start-up.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// C[m×n] = alpha · A[m×k] · B[k×n] + beta · C, all row-major and contiguous.
    public static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: k, b: b, ldb: n,
             beta: beta, c: c, ldc: n)
    }

    /// General row-major GEMM: C[m×n] = alpha · op(A) · op(B) + beta · C.
    /// op(A) is m×k: A is stored m×k (`transA` false) or k×m (`transA` true); likewise op(B) is k×n,
    /// stored k×n or n×k. The forward pass X·Wᵀ with W stored [out][in] is `transB: true`.
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y with A stored rows×cols (row-major, leading dimension `lda`);
    /// op(A) = A (`trans` false: y has `rows` entries) or Aᵀ (`trans` true: y has `cols` entries).
    /// OpenBLAS 0.3.21 does not route one-row sgemm to gemv, and gemv is 2-4x faster there.
    public static func gemv(
        trans: Bool, rows: Int, cols: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        if rows == 0 || cols == 0 { return }
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), alpha,
                    a, Int32(lda), x, 1, beta, y, 1)
    }
}

extension BLAS {
    /// Σ|x[i]| over `count` contiguous floats: memory-bound and threaded in OpenBLAS, so the
    /// benchmark uses it to measure the read bandwidth the machine gives right now.
    public static func asum(count: Int, x: UnsafePointer<Float>) -> Float {
        cblas_sasum(Int32(count), x, 1)
    }
}
