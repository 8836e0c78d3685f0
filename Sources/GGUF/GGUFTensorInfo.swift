/// Where one tensor lives in a GGUF file and how it is stored. All sizes were checked against the file when it was
/// read, so `byteCount` bytes from `offset` are inside the mapping.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name, e.g. "blk.0.attn_q.weight".
    public let name: String
    /// Dimensions as stored: `dims[0]` (ne0) is the innermost, contiguous one. A `[576, 1536]` weight is 1536 rows of
    /// 576 contiguous values, i.e. PyTorch `[out = 1536][in = 576]`.
    public let dims: [Int]
    /// Element type.
    public let type: GGMLType
    /// Absolute byte offset of the data in the file (data section start + the relative offset in the header).
    public let offset: Int
    /// Bytes of data.
    public let byteCount: Int
    /// Offset of this tensor's info record in the header, for error messages.
    public let infoOffset: Int

    /// Number of values: the product of `dims`.
    public var elementCount: Int { dims.reduce(1, *) }

    /// Rows in the PyTorch sense: product of all dims but the innermost (1 for a vector).
    public var rowCount: Int { dims.dropFirst().reduce(1, *) }
}
