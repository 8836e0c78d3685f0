#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds GGUF files (metadata and tensors) in memory and writes them out, so tests anywhere in the project can make
/// tiny models as real files that go through the same reader as the real model.
public struct GGUFWriter: Sendable {
    private struct Tensor: Sendable {
        var name: String
        var dims: [Int]
        var type: GGMLType
        var data: [UInt8]
    }

    /// GGUF version to write (2 or 3; the layout is identical, only the number differs).
    public let version: Int
    /// Data alignment; written as `general.alignment` when it is not the default 32.
    public let alignment: Int
    private var entries: [(key: String, value: GGUFValue)] = []
    private var tensors: [Tensor] = []

    /// A writer for a file of `version` with tensor data aligned to `alignment` (a power of two).
    public init(version: Int = 3, alignment: Int = 32) throws(GGUFError) {
        guard version == 2 || version == 3 else { throw GGUFError(.badArgument, "version \(version) (2 or 3)") }
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Int(UInt32.max) else {
            throw GGUFError(.badArgument, "alignment \(alignment) is not a power of two")
        }
        self.version = version
        self.alignment = alignment
        if alignment != GGUFParser.defaultAlignment { entries.append(("general.alignment", .uint32(UInt32(alignment)))) }
    }

    /// Sets a metadata value, replacing an earlier one with the same key (keys keep their first position).
    public mutating func set(_ key: String, _ value: GGUFValue) throws(GGUFError) {
        if key == "general.alignment" { throw GGUFError(.badArgument, "set the alignment through init(alignment:)") }
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = value
        } else {
            entries.append((key, value))
        }
    }

    /// Adds a tensor from f32 values, encoding them as `type`. `dims[0]` is the innermost dimension.
    public mutating func addTensor(name: String, dims: [Int], type: GGMLType, values: [Float]) throws(GGUFError) {
        let count = dims.reduce(1, *)
        guard values.count == count else {
            throw GGUFError(.badArgument, "tensor '\(name)' has dims \(dims) but \(values.count) values")
        }
        try addTensor(name: name, dims: dims, type: type, rawBytes: try type.quantize(values))
    }

    /// Adds a tensor from already-encoded bytes of `type`.
    public mutating func addTensor(name: String, dims: [Int], type: GGMLType, rawBytes: [UInt8]) throws(GGUFError) {
        guard !tensors.contains(where: { $0.name == name }) else {
            throw GGUFError(.duplicateTensor, "tensor '\(name)' was already added")
        }
        guard (1...GGUFParser.maxDimensions).contains(dims.count), dims.allSatisfy({ $0 > 0 }),
              dims[0] % type.blockSize == 0,
              let bytes = type.byteCount(forValues: dims.reduce(1, *)), bytes == rawBytes.count
        else {
            throw GGUFError(.badArgument, "tensor '\(name)': dims \(dims) of \(type.name) do not match "
                                + "\(rawBytes.count) bytes")
        }
        tensors.append(Tensor(name: name, dims: dims, type: type, data: rawBytes))
    }

    /// The complete file image.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        appendLittleEndian(GGUFParser.magic, to: &out)
        appendLittleEndian(UInt32(version), to: &out)
        appendLittleEndian(UInt64(tensors.count), to: &out)
        appendLittleEndian(UInt64(entries.count), to: &out)
        for (key, value) in entries {
            appendString(key, to: &out)
            appendLittleEndian(value.type.rawValue, to: &out)
            appendValue(value, to: &out)
        }
        var relative = 0
        var offsets: [Int] = []
        for t in tensors {
            appendString(t.name, to: &out)
            appendLittleEndian(UInt32(t.dims.count), to: &out)
            for d in t.dims { appendLittleEndian(UInt64(d), to: &out) }
            appendLittleEndian(t.type.rawValue, to: &out)
            appendLittleEndian(UInt64(relative), to: &out)
            offsets.append(relative)
            relative = padded(relative + t.data.count)
        }
        if !tensors.isEmpty {
            out.append(contentsOf: repeatElement(0, count: padded(out.count) - out.count))
            let dataStart = out.count
            for (t, offset) in zip(tensors, offsets) {
                out.append(contentsOf: repeatElement(0, count: dataStart + offset - out.count))
                out.append(contentsOf: t.data)
            }
        }
        return out
    }

    /// Writes the file image to `path` (replacing it).
    public func write(to path: String) throws(GGUFError) {
        let image = serialize()
        guard let file = fopen(path, "wb") else {
            throw GGUFError(.io, "cannot create '\(path)': \(String(cString: strerror(errno)))")
        }
        let written = image.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file)
        guard written == image.count, closed == 0 else {
            throw GGUFError(.io, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        let utf8 = Array(s.utf8)
        appendLittleEndian(UInt64(utf8.count), to: &out)
        out.append(contentsOf: utf8)
    }

    private func appendValue(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case .uint8(let v): out.append(v)
        case .int8(let v): out.append(UInt8(bitPattern: v))
        case .uint16(let v): appendLittleEndian(v, to: &out)
        case .int16(let v): appendLittleEndian(v, to: &out)
        case .uint32(let v): appendLittleEndian(v, to: &out)
        case .int32(let v): appendLittleEndian(v, to: &out)
        case .uint64(let v): appendLittleEndian(v, to: &out)
        case .int64(let v): appendLittleEndian(v, to: &out)
        case .float32(let v): appendLittleEndian(v.bitPattern, to: &out)
        case .float64(let v): appendLittleEndian(v.bitPattern, to: &out)
        case .bool(let v): out.append(v ? 1 : 0)
        case .string(let s): appendString(s, to: &out)
        case .array(let array): appendArray(array, to: &out)
        }
    }

    private func appendArray(_ array: GGUFArray, to out: inout [UInt8]) {
        appendLittleEndian(array.elementType.rawValue, to: &out)
        appendLittleEndian(UInt64(array.count), to: &out)
        switch array {
        case .uint8(let a): out.append(contentsOf: a)
        case .int8(let a): for v in a { out.append(UInt8(bitPattern: v)) }
        case .uint16(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .int16(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .uint32(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .int32(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .uint64(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .int64(let a): for v in a { appendLittleEndian(v, to: &out) }
        case .float32(let a): for v in a { appendLittleEndian(v.bitPattern, to: &out) }
        case .float64(let a): for v in a { appendLittleEndian(v.bitPattern, to: &out) }
        case .bool(let a): for v in a { out.append(v ? 1 : 0) }
        case .string(let a): for v in a { appendString(v, to: &out) }
        case .array(let a): for v in a { appendArray(v, to: &out) }
        }
    }
}
