import VectorKernels

extension Linear {
    /// Up to this many rows a quantized weight is used as is; beyond, callers use the f32 weights (BLAS sgemm reads
    /// them at near peak, and there each weight is reused by enough rows that its bytes no longer matter). Equal to
    /// `smallBatchLimit`, so the quantized path does the very same arithmetic as the f32 kernel on the very same values.
    public static let quantizedRowLimit = smallBatchLimit

    /// Y[m×n] (=|+=) X[m×k] · Wᵀ with W = `w` ([n][k] in Q4_1 / Q8_0 blocks); X and Y with row strides `ldx` / `ldy`.
    ///
    /// The output rows are split in parts over the threads; each part runs `QuantizedProduct`, which expands a weight
    /// row at a time into an L1 scratch and uses it for up to 8 input rows at once. So every weight byte is read from
    /// memory once per call, whatever m is, and the arithmetic per output is exactly that of the f32 small-batch path: with the
    /// same dequantized values the results are bit-identical to `forward(m:k:n:x:w:...)` with m ≤
    /// `smallBatchLimit`. Requires `smallBatchAvailable`; any m ≥ 1 works.
    public static func forward(
        m: Int, x: UnsafePointer<Float>, ldx: Int, w: QuantizedMatrix, y: UnsafeMutablePointer<Float>, ldy: Int,
        accumulate: Bool = false
    ) {
        precondition(smallBatchAvailable, "Linear.forward(quantized:) needs AVX2/FMA")
        let k = w.columns, n = w.rows
        if m == 0 || n == 0 { return }
        // Four parts per thread, taken from a shared counter: if one thread is held up (a loaded machine), the
        // other takes over its remaining parts.
        let parts = n * k >= 65536 && Self.threads > 1 ? 4 * Self.threads : 1
        let chunk = ((n + parts - 1) / parts + 3) & ~3  // whole groups of 4 output rows per part
        let format: QuantizedProduct.Format = w.format == .q4_1 ? .q4_1 : .q8_0
        let xs = Int(bitPattern: x), ys = Int(bitPattern: y), ws = Int(bitPattern: w.rowPointer(0))  // Sendable captures
        let rowBytes = w.rowBytes
        let run: @Sendable (Int) -> Void = { t in
            let j0 = min(t * chunk, n), j1 = min(j0 + chunk, n)
            if j0 >= j1 { return }
            QuantizedProduct.product(format: format, m: m, k: k, x: UnsafePointer(bitPattern: xs)!, ldx: ldx,
                                     w: UnsafeRawPointer(bitPattern: ws)!, rowBytes: rowBytes,
                                     y: UnsafeMutablePointer(bitPattern: ys)!, ldy: ldy, columns: j0..<j1,
                                     accumulate: accumulate)
        }
        ForkJoin.shared.run(iterations: parts, run)
    }
}
