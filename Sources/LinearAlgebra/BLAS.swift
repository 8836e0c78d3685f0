import CBLAS

/// Thin, typed entry points into OpenBLAS; everything numeric in grao goes through here so that the
/// C interface stays in one place.
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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(k), b, Int32(n), beta, c, Int32(n))
    }
}
