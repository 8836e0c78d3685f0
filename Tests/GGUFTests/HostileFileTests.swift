import Testing
@testable import GGUF

/// Little-endian byte builder for hand-made (often malformed) GGUF images.
struct RawGGUF {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func raw(_ b: [UInt8]) { bytes += b }
    /// Magic, version and the two counts.
    static func header(version: UInt32 = 3, tensors: UInt64 = 0, kvs: UInt64) -> RawGGUF {
        var r = RawGGUF()
        r.raw(Array("GGUF".utf8))
        r.u32(version)
        r.u64(tensors)
        r.u64(kvs)
        return r
    }
}

/// Parses `bytes` and returns the error, recording an issue when parsing succeeds.
func parseError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> GGUFError? {
    do {
        _ = try GGUFFile(bytes: bytes)
        Issue.record("a malformed file was accepted", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite struct HostileFileTests {
    /// A small valid file: strings, an array, two tensors.
    static func smallFile() throws -> [UInt8] {
        var w = try GGUFWriter()
        try w.set("general.architecture", .string("llama"))
        try w.set("tokenizer.ggml.tokens", .array(.string(["a", "b"])))
        try w.set("llama.block_count", .uint32(2))
        try w.addTensor(name: "a", dims: [32, 2], type: .q8_0, values: .init(repeating: 1, count: 64))
        try w.addTensor(name: "b", dims: [4], type: .f32, values: [1, 2, 3, 4])
        return w.serialize()
    }

    /// Every proper prefix of a valid file is refused as truncated (the last tensor's data ends at the end).
    @Test func everyTruncationIsRefused() throws {
        let full = try Self.smallFile()
        _ = try GGUFFile(bytes: full)
        for length in 0..<full.count {
            guard let error = parseError(Array(full[..<length])) else { continue }
            #expect(error.kind == .truncated, "prefix \(length): \(error)")
            #expect(error.offset != nil && error.offset! <= length, "prefix \(length): \(error)")
        }
    }

    /// Flipping any single header byte either still parses or throws GGUFError: never a crash or a huge allocation.
    @Test func everySingleByteCorruptionIsHandled() throws {
        let full = try Self.smallFile()
        let headerEnd = try GGUFFile(bytes: full).dataOffset
        var refused = 0
        for i in 0..<headerEnd {
            for flip: UInt8 in [0xFF, 0x80, 0x01] {
                var bytes = full
                bytes[i] ^= flip
                do { _ = try GGUFFile(bytes: bytes) } catch { refused += 1 }
            }
        }
        // Most flips hit lengths, counts, types or key text; some land in padding or value payloads and are valid.
        #expect(refused > headerEnd)
    }

    @Test func badMagicAndVersions() {
        var r = RawGGUF()
        r.raw(Array("GGUX".utf8))
        r.u32(3); r.u64(0); r.u64(0)
        #expect(parseError(r.bytes)?.kind == .badMagic)
        for version: UInt32 in [0, 1, 4, 0x0300_0000] {
            let e = parseError(RawGGUF.header(version: version, kvs: 0).bytes)
            #expect(e?.kind == .unsupportedVersion && e?.offset == 4)
        }
        #expect(parseError(RawGGUF.header(version: 0x0300_0000, kvs: 0).bytes)?.message.contains("big-endian") == true)
        // An empty header with no tensors and no metadata is a valid (if useless) file.
        #expect(throws: Never.self) { try GGUFFile(bytes: RawGGUF.header(kvs: 0).bytes) }
    }

    @Test func hugeCountsAndLengthsAreRefusedBeforeAllocating() {
        #expect(parseError(RawGGUF.header(tensors: UInt64.max, kvs: 0).bytes)?.kind == .truncated)
        #expect(parseError(RawGGUF.header(kvs: 1 << 62).bytes)?.kind == .truncated)
        var r = RawGGUF.header(kvs: 1)
        r.u64(UInt64.max)  // key length
        r.raw(.init(repeating: 0, count: 16))
        #expect(parseError(r.bytes)?.offset == 24)
        r = RawGGUF.header(kvs: 1)
        r.str("k"); r.u32(GGUFValueType.string.rawValue); r.u64(1 << 40)
        #expect(parseError(r.bytes)?.kind == .truncated)
        r = RawGGUF.header(kvs: 1)
        r.str("k"); r.u32(GGUFValueType.array.rawValue); r.u32(GGUFValueType.uint64.rawValue); r.u64(1 << 60)
        r.u64(0)
        let e = parseError(r.bytes)
        #expect(e?.kind == .truncated && e?.offset == 24 + 9 + 4 + 4)
        // Arrays of strings are bounded by 8 bytes per element, arrays of arrays by 12.
        r = RawGGUF.header(kvs: 1)
        r.str("k"); r.u32(GGUFValueType.array.rawValue); r.u32(GGUFValueType.array.rawValue); r.u64(3)
        r.raw(.init(repeating: 0, count: 35))
        #expect(parseError(r.bytes)?.kind == .truncated)
    }

    @Test func invalidValues() {
        func single(_ type: UInt32, _ payload: [UInt8]) -> GGUFError? {
            var r = RawGGUF.header(kvs: 1)
            r.str("key"); r.u32(type); r.raw(payload)
            return parseError(r.bytes)
        }
        #expect(single(13, [0, 0, 0, 0])?.kind == .invalidValue)
        #expect(single(GGUFValueType.bool.rawValue, [2])?.kind == .invalidValue)
        #expect(single(GGUFValueType.string.rawValue, [2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28])?.kind == .invalidString)
        #expect(single(GGUFValueType.array.rawValue, [99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])?.kind == .invalidValue)
        // Nine nested levels of one-element arrays.
        var nested: [UInt8] = []
        for _ in 0..<9 { nested += [9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] }
        nested += [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]
        #expect(single(GGUFValueType.array.rawValue, nested)?.message.contains("deeper") == true)
        var key = RawGGUF.header(kvs: 1)
        key.u64(2); key.raw([0xFF, 0xFE]); key.u32(0); key.raw([1])
        #expect(parseError(key.bytes)?.kind == .invalidString)
    }

    @Test func duplicateKeysAndBadAlignment() {
        var r = RawGGUF.header(kvs: 2)
        r.str("a"); r.u32(0); r.raw([1])
        r.str("a"); r.u32(0); r.raw([2])
        let e = parseError(r.bytes)
        #expect(e?.kind == .duplicateKey && e?.offset == 24 + 9 + 4 + 1)
        for (type, payload) in [(UInt32(4), [0, 0, 0, 0]), (4, [3, 0, 0, 0]), (4, [48, 0, 0, 0]), (10, [32, 0, 0, 0, 0, 0, 0, 0])] as [(UInt32, [UInt8])] {
            var a = RawGGUF.header(kvs: 1)
            a.str("general.alignment"); a.u32(type); a.raw(payload)
            #expect(parseError(a.bytes)?.kind == .badAlignment)
        }
    }

    /// One tensor info after an empty metadata section; `data` bytes follow at offset 64 (alignment 32).
    static func oneTensor(name: String = "t", dims: [UInt64], type: UInt32, offset: UInt64 = 0, data: Int) -> [UInt8] {
        var r = RawGGUF.header(tensors: 1, kvs: 0)
        r.str(name); r.u32(UInt32(dims.count))
        for d in dims { r.u64(d) }
        r.u32(type); r.u64(offset)
        r.raw(.init(repeating: 0, count: (32 - r.bytes.count % 32) % 32 + data))
        return r.bytes
    }

    @Test func badTensorInfos() {
        #expect(throws: Never.self) { try GGUFFile(bytes: Self.oneTensor(dims: [4], type: 0, data: 16)) }
        #expect(parseError(Self.oneTensor(dims: [], type: 0, data: 16))?.kind == .badTensor)
        #expect(parseError(Self.oneTensor(dims: [1, 1, 1, 1, 1], type: 0, data: 16))?.kind == .badTensor)
        #expect(parseError(Self.oneTensor(dims: [0], type: 0, data: 16))?.kind == .badTensor)
        #expect(parseError(Self.oneTensor(dims: [1 << 32, 1 << 32, 1 << 32], type: 0, data: 16))?.kind == .badTensor)
        #expect(parseError(Self.oneTensor(dims: [UInt64.max], type: 0, data: 16))?.kind == .badTensor)
        #expect(parseError(Self.oneTensor(dims: [32], type: 6, data: 22))?.kind == .unsupportedTensorType)  // Q5_0
        #expect(parseError(Self.oneTensor(dims: [32], type: 99, data: 22))?.kind == .unsupportedTensorType)
        #expect(parseError(Self.oneTensor(dims: [16], type: 8, data: 34))?.kind == .badTensor)  // half a Q8_0 block
        #expect(parseError(Self.oneTensor(dims: [4], type: 0, offset: 4, data: 32))?.kind == .badAlignment)
        #expect(parseError(Self.oneTensor(dims: [4], type: 0, offset: 32, data: 32))?.kind == .truncated)
        #expect(parseError(Self.oneTensor(dims: [4], type: 0, offset: UInt64.max - 31, data: 16))?.kind == .badAlignment)
        #expect(parseError(Self.oneTensor(dims: [9], type: 0, data: 32))?.kind == .truncated)
        // The data section itself is missing.
        var r = RawGGUF.header(tensors: 1, kvs: 0)
        r.str("t"); r.u32(1); r.u64(4); r.u32(0); r.u64(0)
        #expect(parseError(r.bytes)?.kind == .truncated)
    }

    @Test func duplicateAndOverlappingTensors() {
        func two(_ second: String, offset: UInt64) -> [UInt8] {
            var r = RawGGUF.header(tensors: 2, kvs: 0)
            r.str("a"); r.u32(1); r.u64(16); r.u32(0); r.u64(0)
            r.str(second); r.u32(1); r.u64(8); r.u32(0); r.u64(offset)
            r.raw(.init(repeating: 0, count: (32 - r.bytes.count % 32) % 32 + 96))
            return r.bytes
        }
        #expect(throws: Never.self) { try GGUFFile(bytes: two("b", offset: 64)) }
        let dup = parseError(two("a", offset: 64))
        #expect(dup?.kind == .duplicateTensor && dup?.offset == 24 + 8 + 1 + 4 + 8 + 4 + 8)
        let overlap = parseError(two("b", offset: 32))
        #expect(overlap?.kind == .badTensor && overlap?.message.contains("overlaps") == true)
    }
}

extension HostileFileTests {
    /// A file that is one large u8 array parses into one byte per element (typed storage), and a count larger than
    /// the bytes left is refused before any allocation.
    @Test func largeArraysStayCompact() throws {
        var r = RawGGUF.header(kvs: 1)
        r.str("blob"); r.u32(GGUFValueType.array.rawValue); r.u32(GGUFValueType.uint8.rawValue); r.u64(1 << 20)
        r.raw(.init(repeating: 7, count: 1 << 20))
        let file = try GGUFFile(bytes: r.bytes)
        guard case .array(.uint8(let bytes)) = file.metadata["blob"] else {
            Issue.record("expected a u8 array")
            return
        }
        #expect(bytes.count == 1 << 20 && bytes.allSatisfy { $0 == 7 })
        r.bytes.removeLast()
        #expect(parseError(r.bytes)?.kind == .truncated)
    }
}
