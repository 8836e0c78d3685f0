import VectorKernels

/// A weight matrix kept in ggml's Q4_1 or Q8_0 blocks, `[rows = outputs][columns = inputs]` like the f32 weights, each
/// row a whole number of 32-value blocks. Decode steps read every weight once per step; these blocks are 5 (Q4_1) or
/// 8.5 (Q8_0) bits per weight instead of 32, so a step moves ~6x fewer bytes. `Linear.forward(m:x:ldx:w:y:ldy:...)`
/// dequantizes a few rows at a time into L1 and multiplies there.
///
/// Filled once (at model load) and only read afterwards; the storage itself does no locking.
public final class QuantizedMatrix: @unchecked Sendable {
    /// Block formats (layouts in `BlockDequantize`).
    public enum Format: Sendable, Equatable {
        case q4_1, q8_0

        /// Bytes per 32-value block.
        public var blockBytes: Int {
            switch self {
            case .q4_1: BlockDequantize.q4_1BlockBytes
            case .q8_0: BlockDequantize.q8_0BlockBytes
            }
        }
    }

    /// Values per block.
    public static let blockSize = 32

    /// Block format of every row.
    public let format: Format
    /// Output count (N).
    public let rows: Int
    /// Input count (K), a multiple of 32.
    public let columns: Int
    /// Bytes of one row's blocks.
    public let rowBytes: Int
    private let storage: UnsafeMutableRawPointer  // [rows][columns / 32 blocks]

    /// A zero-filled matrix; `columns` must be a positive multiple of 32 (callers validate shapes first).
    public init(format: Format, rows: Int, columns: Int) {
        precondition(rows >= 0 && columns > 0 && columns % Self.blockSize == 0,
                     "QuantizedMatrix: \(rows)×\(columns) is not whole blocks")
        self.format = format
        self.rows = rows
        self.columns = columns
        rowBytes = columns / Self.blockSize * format.blockBytes
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(rows * rowBytes, 1), alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: max(rows * rowBytes, 1))
    }

    deinit { storage.deallocate() }

    /// Bytes held (the memory one full pass over the matrix reads).
    public var byteCount: Int { rows * rowBytes }

    /// Copies whole rows of raw blocks (`bytes.count` must be a multiple of `rowBytes`) into rows `start...`.
    /// Fused matrices (q|k|v) are filled part by part.
    public func setRows(from start: Int, bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % rowBytes == 0 && start >= 0 && start + bytes.count / rowBytes <= rows,
                     "QuantizedMatrix.setRows: \(bytes.count) bytes at row \(start) do not fit \(rows) rows of \(rowBytes)")
        if let base = bytes.baseAddress { (storage + start * rowBytes).copyMemory(from: base, byteCount: bytes.count) }
    }

    /// Raw blocks of row `row` (for tests and the kernels).
    public func rowPointer(_ row: Int) -> UnsafeRawPointer { UnsafeRawPointer(storage + row * rowBytes) }

    /// out[(r - rows.lowerBound)·columns + p] = W[r, p]: the f32 values of `rows`, exactly as ggml's dequantization
    /// gives them.
    public func dequantize(rows range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        let blocks = range.count * columns / Self.blockSize
        let source = rowPointer(range.lowerBound)
        if CPUFeatures.hasAVX2FMA {
            switch format {
            case .q4_1: BlockDequantize.q4_1(source, blocks: blocks, out: out)
            case .q8_0: BlockDequantize.q8_0(source, blocks: blocks, out: out)
            }
            return
        }
        for b in 0..<blocks {  // plain loops on CPUs without AVX2 (F16 conversion by the standard library)
            let block = source + b * format.blockBytes, o = out + 32 * b
            let d = Float(block.loadUnaligned(as: Float16.self))
            switch format {
            case .q4_1:
                let m = Float(block.loadUnaligned(fromByteOffset: 2, as: Float16.self))
                for i in 0..<16 {
                    let q = block.load(fromByteOffset: 4 + i, as: UInt8.self)
                    o[i] = d * Float(q & 0x0F) + m
                    o[i + 16] = d * Float(q >> 4) + m
                }
            case .q8_0:
                for i in 0..<32 { o[i] = d * Float(block.load(fromByteOffset: 2 + i, as: Int8.self)) }
            }
        }
    }
}
