/// The tensor element types grao can load, with ggml's type codes and block layouts. Any other code in a file is
/// refused (`unsupportedTensorType`) rather than guessed at.
///
/// Block layouts (ggml-common.h), all little-endian, `half` = IEEE binary16:
/// - Q8_0: `{ half d; int8 qs[32] }` = 34 bytes for 32 values, x = d * qs[i].
/// - Q4_0: `{ half d; uint8 qs[16] }` = 18 bytes for 32 values; value i < 16 is the low nibble of qs[i], value
///   i + 16 its high nibble; x = d * (nibble - 8).
/// - Q4_1: `{ half d; half m; uint8 qs[16] }` = 20 bytes for 32 values, same nibble order, x = d * nibble + m.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q8_0 = 8
    case bf16 = 30

    /// Values per block (1 for the plain float types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q8_0: 34
        }
    }

    /// ggml's spelling of the type, for messages.
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        case .bf16: "BF16"
        }
    }

    /// Bytes needed for `count` values, or nil when `count` is not a whole number of blocks or the size overflows.
    public func byteCount(forValues count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
