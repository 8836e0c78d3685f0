extension GGMLType {
    /// Expands `source` (whole blocks of this type) into f32 values in `destination`, whose count must match
    /// exactly. Loops over raw pointers because this runs over every weight of the model at load time.
    public func dequantize(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>)
        throws(GGUFError)
    {
        guard let needed = byteCount(forValues: destination.count) else {
            throw GGUFError(.badArgument, "\(destination.count) values is not a whole number of \(name) blocks")
        }
        guard source.count == needed else {
            throw GGUFError(.badArgument,
                            "\(name): \(destination.count) values need \(needed) bytes, got \(source.count)")
        }
        guard destination.count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let blocks = destination.count / blockSize
        switch self {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: needed)
        case .f16:
            for i in 0..<blocks {
                dst[i] = floatFromHalfBits(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .bf16:
            for i in 0..<blocks {
                dst[i] = floatFromBFloat16Bits(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .q8_0:
            Self.dequantizeQ8_0(src, dst, blocks)
        case .q4_0:
            Self.dequantizeQ4(src, dst, blocks, blockBytes: 18, hasMinimum: false)
        case .q4_1:
            Self.dequantizeQ4(src, dst, blocks, blockBytes: 20, hasMinimum: true)
        }
    }

    /// Q8_0 blocks: `{ half d; int8 qs[32] }` -> 32 values d * qs[i].
    private static func dequantizeQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + 34 * b
            let d = floatFromHalfBits(block.loadUnaligned(as: UInt16.self))
            let qs = (block + 2).assumingMemoryBound(to: Int8.self)
            let out = dst + 32 * b
            for i in 0..<32 { out[i] = d * Float(qs[i]) }
        }
    }

    /// Q4_0 / Q4_1 blocks: 16 bytes of nibbles, low nibbles are values 0..<16 and high nibbles 16..<32.
    /// Q4_0 stores only d and centres the nibble: d * (q - 8), computed in that order so a zero keeps the sign of d
    /// as in ggml. Q4_1 stores d and a minimum m: d * q + m.
    private static func dequantizeQ4(
        _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int, blockBytes: Int, hasMinimum: Bool
    ) {
        let headerBytes = hasMinimum ? 4 : 2
        for b in 0..<blocks {
            let block = src + blockBytes * b
            let d = floatFromHalfBits(block.loadUnaligned(as: UInt16.self))
            let qs = (block + headerBytes).assumingMemoryBound(to: UInt8.self)
            let out = dst + 32 * b
            if hasMinimum {
                let m = floatFromHalfBits(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                for i in 0..<16 {
                    let q = qs[i]
                    out[i] = d * Float(q & 0x0F) + m
                    out[i + 16] = d * Float(q >> 4) + m
                }
            } else {
                for i in 0..<16 {
                    let q = Int32(qs[i])
                    out[i] = d * Float((q & 0x0F) - 8)
                    out[i + 16] = d * Float((q >> 4) - 8)
                }
            }
        }
    }
}
