/// Expands ggml's Q4_1 and Q8_0 blocks into f32, 8 lanes at a time, for decode-time products that keep the weights
/// quantized in memory and dequantize a few rows at a time into L1 (see `Linear.forward` with a `QuantizedMatrix`).
/// Requires `CPUFeatures.hasAVX2FMA` (F16C comes with it on every such CPU: Haswell and later, Zen).
///
/// The values are bit-identical to the scalar load-time dequantization (`GGMLType.dequantize`): a half d times a
/// 4-bit (8-bit) integer needs at most 15 (19) significant bits, so d·q is exact in f32 and the fused d·q + m rounds
/// once, exactly like the separate multiply and add; half → f32 conversion is exact.
public enum BlockDequantize {
    /// Bytes of one Q4_1 block: `{ half d; half m; uint8 qs[16] }` for 32 values.
    public static let q4_1BlockBytes = 20
    /// Bytes of one Q8_0 block: `{ half d; int8 qs[32] }` for 32 values.
    public static let q8_0BlockBytes = 34

    /// out[32·b + i] = d_b · q_b,i + m_b for `blocks` consecutive Q4_1 blocks at `source`; value i < 16 is the low
    /// nibble of qs[i], value i + 16 its high nibble.
    public static func q4_1(_ source: UnsafeRawPointer, blocks: Int, out: UnsafeMutablePointer<Float>) {
        var s = source, o = out
        for _ in 0..<blocks {
            let d = SIMD8<Float>(repeating: Float(s.loadUnaligned(as: Float16.self)))
            let m = SIMD8<Float>(repeating: Float(s.loadUnaligned(fromByteOffset: 2, as: Float16.self)))
            let q = s.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let low = q & 0x0F, high = q &>> 4
            store8(m.addingProduct(d, float8(low.lowHalf)), o)
            store8(m.addingProduct(d, float8(low.highHalf)), o + 8)
            store8(m.addingProduct(d, float8(high.lowHalf)), o + 16)
            store8(m.addingProduct(d, float8(high.highHalf)), o + 24)
            s += q4_1BlockBytes
            o += 32
        }
    }

    /// out[32·b + i] = d_b · qs_b[i] for `blocks` consecutive Q8_0 blocks at `source`.
    public static func q8_0(_ source: UnsafeRawPointer, blocks: Int, out: UnsafeMutablePointer<Float>) {
        var s = source, o = out
        for _ in 0..<blocks {
            let d = SIMD8<Float>(repeating: Float(s.loadUnaligned(as: Float16.self)))
            for part in 0..<4 {
                let q = s.loadUnaligned(fromByteOffset: 2 + 8 * part, as: SIMD8<Int8>.self)
                store8(d * SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q)), o + 8 * part)
            }
            s += q8_0BlockBytes
            o += 32
        }
    }

    /// Eight small unsigned bytes as floats (zero-extend, convert: vpmovzxbd + vcvtdq2ps).
    @inline(__always)
    private static func float8(_ bytes: SIMD8<UInt8>) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes))
    }
}
