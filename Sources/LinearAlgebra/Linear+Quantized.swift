import Dispatch
import VectorKernels

extension Linear {
    /// Up to this many rows a quantized weight is used as is; beyond, callers use the f32 weights (BLAS sgemm reads
    /// them at near peak, and there each weight is reused by enough rows that its bytes no longer matter). Equal to
    /// `smallBatchLimit`, so the quantized path runs the very same f32 kernel on the very same values.
    public static let quantizedRowLimit = smallBatchLimit

    /// Y[m×n] (=|+=) X[m×k] · Wᵀ with W = `w` ([n][k] in Q4_1 / Q8_0 blocks); X and Y with row strides `ldx` / `ldy`.
    ///
    /// Each thread takes a range of output rows and walks it in panels of a few weight rows: dequantize the panel
    /// into an L1-sized f32 scratch, then run `SmallBatchProduct` on it. So every weight byte is read from memory
    /// once per call, whatever m is, and the arithmetic per output is exactly that of the f32 small-batch path:
    /// with the same dequantized values the results are bit-identical to `forward(m:k:n:x:w:...)` with m ≤
    /// `smallBatchLimit`. Requires `smallBatchAvailable`; any m ≥ 1 works (large m re-reads panels from L1).
    public static func forward(
        m: Int, x: UnsafePointer<Float>, ldx: Int, w: QuantizedMatrix, y: UnsafeMutablePointer<Float>, ldy: Int,
        accumulate: Bool = false
    ) {
        precondition(smallBatchAvailable, "Linear.forward(quantized:) needs AVX2/FMA")
        let k = w.columns, n = w.rows
        if m == 0 || n == 0 { return }
        // Panel of ≤ ~24 KB f32, a multiple of 4 rows (the one-row kernel takes weight rows 4 at a time).
        let panel = max(4, (6144 / k) & ~3)
        let threads = n * k >= 65536 ? max(1, BLAS.threadCount) : 1
        let chunk = ((n + threads - 1) / threads + panel - 1) / panel * panel
        let xs = Int(bitPattern: x), ys = Int(bitPattern: y)  // Sendable captures
        let run: @Sendable (Int) -> Void = { t in
            let j0 = min(t * chunk, n), j1 = min(j0 + chunk, n)
            if j0 >= j1 { return }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: panel * k)  // [panel, k]
            defer { scratch.deallocate() }
            let x = UnsafePointer<Float>(bitPattern: xs)!, y = UnsafeMutablePointer<Float>(bitPattern: ys)!
            var j = j0
            while j < j1 {
                let rows = min(panel, j1 - j)
                w.dequantize(rows: j..<(j + rows), into: scratch)
                SmallBatchProduct.productNT(m: m, k: k, x: x, ldx: ldx, w: scratch, ldw: k, y: y + j, ldy: ldy,
                                            columns: 0..<rows, accumulate: accumulate)
                j += rows
            }
        }
        if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
    }
}
