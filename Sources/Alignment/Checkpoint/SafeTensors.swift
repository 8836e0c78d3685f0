import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to {dtype, shape, data_offsets} (plus optional "__metadata__" of strings), then the raw data.
/// Only F32 is written or accepted. The reader treats the file as hostile: every length, offset and shape is
/// checked before anything is copied.
public enum SafeTensors {
    /// One named f32 tensor.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// Serializes tensors (in the given order, names unique) and string metadata.
    public static func serialize(_ tensors: [Tensor], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for t in tensors {
            guard header[t.name] == nil, t.name != "__metadata__" else {
                throw AlignmentError.invalidTraining("safetensors: duplicate or reserved tensor name '\(t.name)'")
            }
            guard t.shape.reduce(1, *) == t.values.count else {
                throw AlignmentError.invalidTraining("safetensors: '\(t.name)' shape \(t.shape) != \(t.values.count) values")
            }
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data starts aligned
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for t in tensors { t.values.withUnsafeBytes { data.append(contentsOf: $0) } }
        return data
    }

    /// Parses a file's bytes; throws naming the first problem.
    public static func parse(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ why: String) -> AlignmentError { .invalidTraining("safetensors: \(why)") }
        guard data.count >= 8 else { throw fail("file of \(data.count) bytes has no header length") }
        let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= 100_000_000 else {
            throw fail("header length \(headerLength) exceeds the file (\(data.count) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataSize = data.count - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var ranges: [(Int, Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else { throw fail("tensor '\(name)' has shape \(shape)") }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataSize, offsets[1] - offsets[0] == 4 * count
            else { throw fail("tensor '\(name)' offsets \(offsets) do not fit shape \(shape) in \(dataSize) data bytes") }
            ranges.append((offsets[0], offsets[1]))
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { dst in
                data.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(headerEnd + offsets[0])..<(headerEnd + offsets[1])]))
                }
            }
            tensors[name] = Tensor(name: name, shape: shape, values: values)
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("tensor data ranges overlap at byte \(b.0)")
        }
        return (tensors, metadata)
    }
}
