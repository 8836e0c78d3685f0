import VectorKernels

/// The one matrix product the model is made of: Y[m×n] = X[m×k] · Wᵀ (+ Y when accumulating), with
/// the weight stored `[out = n][in = k]` as in GGUF and PyTorch.
///
/// Few rows (decode: one row per active sequence) go to the AVX2/FMA SIMD kernel in `VectorKernels`, split over
/// `threads` threads (`ForkJoin`) by output columns: it reads each weight once, where OpenBLAS 0.3.21
/// first packs the whole matrix (and runs one-row sgemm 2-4x slower than gemv). Many rows (prefill,
/// teacher forcing) go to OpenBLAS sgemm, which is near peak there.
public enum Linear {
    /// Up to this many rows use the small-batch kernel (when the CPU has AVX2 and FMA).
    public static let smallBatchLimit = 16
    /// Whether the small-batch kernel can run on this CPU (checked once).
    public static let smallBatchAvailable = CPUFeatures.hasAVX2FMA

    /// Threads a small-batch product splits its outputs over: OpenBLAS's setting (the engine's thread budget),
    /// capped by the fork-join pool.
    public static var threads: Int { max(1, min(BLAS.threadCount, ForkJoin.shared.threadCount)) }

    /// Y[m×n] (=|+=) X[m×k] · Wᵀ; X and Y with row strides `ldx` / `ldy`, W contiguous [n][k].
    public static func forward(
        m: Int, k: Int, n: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if m <= smallBatchLimit && smallBatchAvailable {
            // Threads only pay off beyond ~64k weights (a 576×576 matrix is 330k).
            let threads = n * k >= 65536 ? Self.threads : 1
            let chunk = ((n + threads - 1) / threads + 1) & ~1  // even, so the kernel's row pairs stay whole
            let xs = Int(bitPattern: x), ws = Int(bitPattern: w), ys = Int(bitPattern: y)  // Sendable captures
            let run: @Sendable (Int) -> Void = { t in
                let j0 = min(t * chunk, n), j1 = min(j0 + chunk, n)
                if j0 < j1 {
                    SmallBatchProduct.productNT(
                        m: m, k: k, x: UnsafePointer(bitPattern: xs)!, ldx: ldx, w: UnsafePointer(bitPattern: ws)!,
                        ldw: k, y: UnsafeMutablePointer(bitPattern: ys)!, ldy: ldy, columns: j0..<j1,
                        accumulate: accumulate)
                }
            }
            ForkJoin.shared.run(iterations: threads, run)
        } else if m == 1 {
            BLAS.gemv(trans: false, rows: n, cols: k, a: w, lda: k, x: x, beta: accumulate ? 1 : 0, y: y)
        } else {
            BLAS.gemm(transA: false, transB: true, m: m, n: n, k: k, a: x, lda: ldx, b: w, ldb: k,
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
