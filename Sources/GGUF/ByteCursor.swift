/// Reads little-endian fields from a byte range, checking every read against the bytes remaining; each error names
/// the field being read and the offset where it starts.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Throws `truncated` unless `count` more bytes exist.
    func need(_ count: Int, for what: @autoclosure () -> String) throws(GGUFError) {
        guard count >= 0, count <= remaining else {
            throw GGUFError(.truncated, at: offset,
                            "\(what()) needs \(count) bytes but only \(remaining) remain in the file")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, for: what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A u64 count that must fit an Int and be coverable by the bytes left, `minimumSize` bytes per item.
    mutating func readCount(_ what: @autoclosure () -> String, minimumSize: Int) throws(GGUFError) -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        let limit = minimumSize > 0 ? remaining / minimumSize : remaining
        guard raw <= UInt64(limit) else {
            throw GGUFError(.truncated, at: start,
                            "\(what()) is \(raw), but the \(remaining) bytes left can hold at most \(limit)")
        }
        return Int(raw)
    }

    /// A GGUF string: u64 byte length then UTF-8 bytes (no terminator). Invalid UTF-8 is refused.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try readCount("length of \(what())", minimumSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw GGUFError(.invalidString, at: start, "\(what()) is not valid UTF-8")
        }
        offset += length
        return s
    }
}
