extension GGMLType {
    /// Encodes f32 values as this type's blocks with round-to-nearest quantization (ggml's reference scheme), so
    /// tests can write small quantized models. `values.count` must be a whole number of blocks.
    public func quantize(_ values: [Float]) throws(GGUFError) -> [UInt8] {
        guard let byteCount = byteCount(forValues: values.count) else {
            throw GGUFError(.badArgument, "\(values.count) values is not a whole number of \(name) blocks")
        }
        var out = [UInt8]()
        out.reserveCapacity(byteCount)
        switch self {
        case .f32:
            for v in values { appendLittleEndian(v.bitPattern, to: &out) }
        case .f16:
            for v in values { appendLittleEndian(halfBitsFromFloat(v), to: &out) }
        case .bf16:
            for v in values { appendLittleEndian(bfloat16BitsFromFloat(v), to: &out) }
        case .q8_0:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<(start + 32)]
                let amax = block.reduce(0) { max($0, abs($1)) }
                let d = amax / 127
                let inverse: Float = d == 0 ? 0 : 1 / d
                appendLittleEndian(halfBitsFromFloat(d), to: &out)
                for v in block { out.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
            }
        case .q4_0:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<(start + 32)]
                // The signed value of largest magnitude maps to -8, so the full nibble range is used on that side.
                let extreme = block.reduce(Float(0)) { abs($1) > abs($0) ? $1 : $0 }
                let d = extreme / -8
                let inverse: Float = d == 0 ? 0 : 1 / d
                appendLittleEndian(halfBitsFromFloat(d), to: &out)
                let q = block.map { UInt8(min(15, max(0, ($0 * inverse + 8.5).rounded(.towardZero)))) }
                for i in 0..<16 { out.append(q[i] | (q[i + 16] << 4)) }
            }
        case .q4_1:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = values[start..<(start + 32)]
                let lo = block.min()!, hi = block.max()!
                let d = (hi - lo) / 15
                let inverse: Float = d == 0 ? 0 : 1 / d
                appendLittleEndian(halfBitsFromFloat(d), to: &out)
                appendLittleEndian(halfBitsFromFloat(lo), to: &out)
                let q = block.map { UInt8(min(15, max(0, (($0 - lo) * inverse + 0.5).rounded(.towardZero)))) }
                for i in 0..<16 { out.append(q[i] | (q[i + 16] << 4)) }
            }
        }
        return out
    }
}

/// Appends an integer's little-endian bytes.
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}
