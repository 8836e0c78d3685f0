/// Parses the GGUF header (magic, version, counts, metadata, tensor infos) and validates the tensor layout.
/// Layout of a file (all little-endian):
///   "GGUF" | u32 version | u64 tensor_count | u64 kv_count | kv_count × (string key, u32 type, value)
///   | tensor_count × (string name, u32 n_dims, n_dims × u64 ne, u32 type, u64 offset) | padding to alignment | data
/// A string is a u64 byte length and that many UTF-8 bytes; an array is u32 element type, u64 count, elements.
enum GGUFParser {
    struct Header {
        var version: Int
        var metadata: GGUFMetadata
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    /// "GGUF" read as a little-endian u32.
    static let magic: UInt32 = 0x4655_4747
    /// ggml's limit on tensor rank.
    static let maxDimensions = 4
    /// Nested arrays deeper than this are refused: recursion depth must not be chosen by the file.
    static let maxArrayNesting = 8
    static let defaultAlignment = 32

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> Header {
        var cursor = ByteCursor(bytes)
        let magicValue = try cursor.read(UInt32.self, "magic")
        guard magicValue == magic else {
            throw GGUFError(.badMagic, at: 0, "not a GGUF file (magic bytes \(hex(magicValue)), expected \"GGUF\")")
        }
        let version = try cursor.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            let hint = version.byteSwapped <= 3 ? " (a big-endian file? only little-endian is supported)" : ""
            throw GGUFError(.unsupportedVersion, at: 4, "GGUF version \(version) is not supported (2 or 3)\(hint)")
        }
        // A tensor info takes at least 8 (name) + 4 (n_dims) + 4 (type) + 8 (offset) = 24 bytes, a key-value pair
        // at least 8 (key) + 4 (type) + 1 (value) = 13 bytes; both counts are bounded before any allocation.
        let tensorCount = try cursor.readCount("tensor count", minimumSize: 24)
        let kvCount = try cursor.readCount("metadata key-value count", minimumSize: 13)

        var entries: [GGUFMetadata.Entry] = []
        // Reserve for what a header plausibly holds; more grows with the entries actually read.
        entries.reserveCapacity(min(kvCount, 1024))
        var seenKeys = Set<String>()
        for i in 0..<kvCount {
            let keyOffset = cursor.offset
            let key = try cursor.readString("key of metadata entry \(i)")
            guard seenKeys.insert(key).inserted else {
                throw GGUFError(.duplicateKey, at: keyOffset, "duplicate metadata key '\(key)'")
            }
            let value = try readValue(&cursor, typeCodeOf: "metadata '\(key)'", depth: 0)
            entries.append(GGUFMetadata.Entry(key: key, value: value, offset: keyOffset))
        }
        let metadata = try GGUFMetadata(entries: entries)

        var alignment = defaultAlignment
        if let entry = entries.first(where: { $0.key == "general.alignment" }) {
            guard case .uint32(let a) = entry.value else {
                throw GGUFError(.badAlignment, at: entry.offset,
                                "general.alignment has type \(entry.value.type), expected uint32")
            }
            guard a != 0, a & (a - 1) == 0 else {
                throw GGUFError(.badAlignment, at: entry.offset, "general.alignment \(a) is not a power of two")
            }
            alignment = Int(a)
        }

        var infos: [(name: String, dims: [Int], type: GGMLType, relative: Int, bytes: Int, at: Int)] = []
        infos.reserveCapacity(min(tensorCount, 4096))
        var seenNames = Set<String>()
        for i in 0..<tensorCount {
            let infoOffset = cursor.offset
            let name = try cursor.readString("name of tensor \(i)")
            guard seenNames.insert(name).inserted else {
                throw GGUFError(.duplicateTensor, at: infoOffset, "duplicate tensor name '\(name)'")
            }
            let rankOffset = cursor.offset
            let rank = try cursor.read(UInt32.self, "rank of tensor '\(name)'")
            guard rank >= 1, rank <= maxDimensions else {
                throw GGUFError(.badTensor, at: rankOffset,
                                "tensor '\(name)' has \(rank) dimensions (1...\(maxDimensions) allowed)")
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<Int(rank) {
                let dimOffset = cursor.offset
                let raw = try cursor.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard raw >= 1, raw <= UInt64(Int.max) else {
                    throw GGUFError(.badTensor, at: dimOffset, "tensor '\(name)' dimension \(d) is \(raw)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
                guard !overflow else {
                    throw GGUFError(.badTensor, at: dimOffset, "tensor '\(name)' element count overflows")
                }
                elements = product
                dims.append(Int(raw))
            }
            let typeOffset = cursor.offset
            let code = try cursor.read(UInt32.self, "type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: code) else {
                throw GGUFError(.unsupportedTensorType, at: typeOffset,
                                "tensor '\(name)' has ggml type \(code), which grao does not support "
                                    + "(F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
            }
            guard dims[0] % type.blockSize == 0 else {
                throw GGUFError(.badTensor, at: rankOffset,
                                "tensor '\(name)' innermost dimension \(dims[0]) is not a multiple of the "
                                    + "\(type.name) block size \(type.blockSize)")
            }
            guard let bytes = type.byteCount(forValues: elements) else {
                throw GGUFError(.badTensor, at: rankOffset, "tensor '\(name)' byte size overflows (dims \(dims))")
            }
            let offsetAt = cursor.offset
            let relative = try cursor.read(UInt64.self, "data offset of tensor '\(name)'")
            guard relative <= UInt64(Int.max), Int(relative) % alignment == 0 else {
                throw GGUFError(.badAlignment, at: offsetAt,
                                "tensor '\(name)' data offset \(relative) is not a multiple of the alignment \(alignment)")
            }
            infos.append((name, dims, type, Int(relative), bytes, infoOffset))
        }

        // The data section starts at the next multiple of the alignment after the header.
        let headerEnd = cursor.offset
        let dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        let dataBytes = bytes.count - min(dataOffset, bytes.count)
        if !infos.isEmpty && dataOffset > bytes.count {
            throw GGUFError(.truncated, at: headerEnd, "file ends before the tensor data section at \(dataOffset)")
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(infos.count)
        for info in infos {
            guard info.relative <= dataBytes, info.bytes <= dataBytes - info.relative else {
                throw GGUFError(.truncated, at: info.at,
                                "tensor '\(info.name)' data [\(info.relative), +\(info.bytes)) lies beyond the "
                                    + "\(dataBytes) bytes of the data section")
            }
            tensors.append(GGUFTensorInfo(name: info.name, dims: info.dims, type: info.type,
                                          offset: dataOffset + info.relative, byteCount: info.bytes,
                                          infoOffset: info.at))
        }
        try checkNoOverlap(tensors)
        return Header(version: Int(version), metadata: metadata, tensors: tensors, alignment: alignment,
                      dataOffset: dataOffset)
    }

    /// Reads a u32 type code and then a value of that type.
    private static func readValue(_ cursor: inout ByteCursor, typeCodeOf what: String, depth: Int)
        throws(GGUFError) -> GGUFValue
    {
        let typeOffset = cursor.offset
        let code = try cursor.read(UInt32.self, "value type of \(what)")
        guard let type = GGUFValueType(rawValue: code) else {
            throw GGUFError(.invalidValue, at: typeOffset, "\(what) has unknown value type \(code)")
        }
        return try readValue(&cursor, type: type, what: what, depth: depth)
    }

    private static func readValue(_ cursor: inout ByteCursor, type: GGUFValueType, what: String, depth: Int)
        throws(GGUFError) -> GGUFValue
    {
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what))
        case .int8: return .int8(try cursor.read(Int8.self, what))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what))
        case .int16: return .int16(try cursor.read(Int16.self, what))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what))
        case .int32: return .int32(try cursor.read(Int32.self, what))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what))
        case .int64: return .int64(try cursor.read(Int64.self, what))
        case .float32: return .float32(try cursor.readFloat(what))
        case .float64: return .float64(try cursor.readDouble(what))
        case .bool:
            let at = cursor.offset
            let raw = try cursor.read(UInt8.self, what)
            guard raw <= 1 else { throw GGUFError(.invalidValue, at: at, "\(what) is a bool with byte value \(raw)") }
            return .bool(raw == 1)
        case .string:
            return .string(try cursor.readString(what))
        case .array:
            return .array(try readArray(&cursor, what: what, depth: depth))
        }
    }

    /// An array payload: u32 element type, u64 count, elements. The count is bounded by the bytes left at the
    /// element type's minimum size before anything is reserved, and storage is typed, so memory stays within a
    /// small multiple of the bytes actually read.
    private static func readArray(_ cursor: inout ByteCursor, what: String, depth: Int) throws(GGUFError) -> GGUFArray {
        let typeOffset = cursor.offset
        guard depth < maxArrayNesting else {
            throw GGUFError(.invalidValue, at: typeOffset, "\(what) nests arrays deeper than \(maxArrayNesting)")
        }
        let code = try cursor.read(UInt32.self, "element type of \(what)")
        guard let elementType = GGUFValueType(rawValue: code) else {
            throw GGUFError(.invalidValue, at: typeOffset, "\(what) is an array of unknown value type \(code)")
        }
        let count = try cursor.readCount("element count of \(what)", minimumSize: elementType.minimumEncodedSize)
        func many<T>(_ element: (inout ByteCursor) throws(GGUFError) -> T) throws(GGUFError) -> [T] {
            var out: [T] = []
            out.reserveCapacity(count)
            for _ in 0..<count { out.append(try element(&cursor)) }
            return out
        }
        switch elementType {
        case .uint8: return .uint8(try many { c throws(GGUFError) in try c.read(UInt8.self, what) })
        case .int8: return .int8(try many { c throws(GGUFError) in try c.read(Int8.self, what) })
        case .uint16: return .uint16(try many { c throws(GGUFError) in try c.read(UInt16.self, what) })
        case .int16: return .int16(try many { c throws(GGUFError) in try c.read(Int16.self, what) })
        case .uint32: return .uint32(try many { c throws(GGUFError) in try c.read(UInt32.self, what) })
        case .int32: return .int32(try many { c throws(GGUFError) in try c.read(Int32.self, what) })
        case .uint64: return .uint64(try many { c throws(GGUFError) in try c.read(UInt64.self, what) })
        case .int64: return .int64(try many { c throws(GGUFError) in try c.read(Int64.self, what) })
        case .float32: return .float32(try many { c throws(GGUFError) in try c.readFloat(what) })
        case .float64: return .float64(try many { c throws(GGUFError) in try c.readDouble(what) })
        case .bool:
            return .bool(try many { c throws(GGUFError) in
                let at = c.offset
                let raw = try c.read(UInt8.self, what)
                guard raw <= 1 else { throw GGUFError(.invalidValue, at: at, "\(what) holds a bool with byte value \(raw)") }
                return raw == 1
            })
        case .string: return .string(try many { c throws(GGUFError) in try c.readString(what) })
        case .array:
            return .array(try many { c throws(GGUFError) in try readArray(&c, what: what, depth: depth + 1) })
        }
    }

    /// Tensor data ranges must not overlap (a hostile file could alias one weight onto another).
    private static func checkNoOverlap(_ tensors: [GGUFTensorInfo]) throws(GGUFError) {
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw GGUFError(.badTensor, at: b.infoOffset,
                            "tensor '\(b.name)' data overlaps the data of tensor '\(a.name)'")
        }
    }

    private static func hex(_ v: UInt32) -> String {
        let le = withUnsafeBytes(of: v.littleEndian) { Array($0) }
        return le.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
            .joined(separator: " ")
    }
}
