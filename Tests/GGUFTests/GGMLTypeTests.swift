import Testing
@testable import GGUF

/// Dequantizes `bytes` of `type` through the public entry point.
func dequantized(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
    var out = [Float](repeating: .nan, count: count)
    try bytes.withUnsafeBytes { src in
        try out.withUnsafeMutableBufferPointer { dst in try type.dequantize(src, into: dst) }
    }
    return out
}

@Suite struct GGMLTypeTests {
    /// Block geometry as ggml defines it (ggml-common.h static_asserts); the codes are ggml's type ids.
    @Test func blockLayoutsArePinned() {
        #expect(GGMLType.q8_0.blockSize == 32 && GGMLType.q8_0.blockBytes == 2 + 32)
        #expect(GGMLType.q4_0.blockSize == 32 && GGMLType.q4_0.blockBytes == 2 + 16)
        #expect(GGMLType.q4_1.blockSize == 32 && GGMLType.q4_1.blockBytes == 2 + 2 + 16)
        #expect(GGMLType.f32.blockBytes == 4 && GGMLType.f16.blockBytes == 2 && GGMLType.bf16.blockBytes == 2)
        #expect(GGMLType.allCases.map(\.rawValue) == [0, 1, 2, 3, 8, 30])
        #expect(GGMLType.q4_1.byteCount(forValues: 576 * 1536) == 576 * 1536 / 32 * 20)
        #expect(GGMLType.q8_0.byteCount(forValues: 33) == nil)
        #expect(GGMLType.q8_0.byteCount(forValues: Int.max / 32 * 32) == nil)
    }

    /// Q8_0: half scale 0.5 (0x3800), int8 quants -16...15 -> -8...7.5.
    @Test func q8_0HandBuiltBlock() throws {
        var block: [UInt8] = [0x00, 0x38]
        block += (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
        let values = try dequantized(.q8_0, block, count: 32)
        #expect(values == (0..<32).map { Float($0 - 16) * 0.5 })
    }

    /// Q4_0: scale 2 (0x4000); byte i holds nibble i (value i) and nibble 15 - i (value i + 16); x = d (q - 8).
    @Test func q4_0HandBuiltBlock() throws {
        let nibbles: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(i) | (UInt8(15 - i) << 4) }
        let block: [UInt8] = [0x00, 0x40] + nibbles
        let values = try dequantized(.q4_0, block, count: 32)
        let low: [Float] = (0..<16).map { (i: Int) -> Float in Float(i - 8) * 2 }
        let high: [Float] = (0..<16).map { (i: Int) -> Float in Float(7 - i) * 2 }
        let expected = low + high
        #expect(values == expected)
    }

    /// Q4_1: scale 0.25 (0x3400), minimum -1 (0xBC00); x = d q + m, same nibble order as Q4_0.
    @Test func q4_1HandBuiltBlock() throws {
        let nibbles: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(i) | (UInt8(15 - i) << 4) }
        let block: [UInt8] = [0x00, 0x34, 0x00, 0xBC] + nibbles
        let values = try dequantized(.q4_1, block, count: 32)
        let low: [Float] = (0..<16).map { (i: Int) -> Float in Float(i) * 0.25 - 1 }
        let high: [Float] = (0..<16).map { (i: Int) -> Float in Float(15 - i) * 0.25 - 1 }
        let expected = low + high
        #expect(values == expected)
    }

    /// F16 / BF16 / F32 element decoding with literal bit patterns.
    @Test func plainFloatTypes() throws {
        #expect(try dequantized(.f16, [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00], count: 3) == [1, -2, 0x1p-24])
        #expect(try dequantized(.bf16, [0x80, 0x3F, 0x49, 0x40], count: 2) == [1, Float(bitPattern: 0x4049_0000)])
        #expect(try dequantized(.f32, [0x00, 0x00, 0x80, 0x3F], count: 1) == [1])
    }

    /// Sizes that do not match are refused, not read past.
    @Test func mismatchedSizesAreRefused() {
        #expect(throws: GGUFError.self) { try dequantized(.q8_0, [UInt8](repeating: 0, count: 33), count: 32) }
        #expect(throws: GGUFError.self) { try dequantized(.q4_1, [UInt8](repeating: 0, count: 20), count: 31) }
        #expect(throws: GGUFError.self) { try dequantized(.f32, [0, 0, 0], count: 1) }
    }

    /// quantize -> dequantize stays within each scheme's rounding bound: half a quantization step (plus the f16
    /// rounding of the scale, which moves every value by at most |q| * d * 2^-11).
    @Test(arguments: [GGMLType.q8_0, .q4_0, .q4_1, .f16, .bf16, .f32])
    func quantizationRoundTripIsWithinHalfAStep(type: GGMLType) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values: [Float] = (0..<(32 * 64)).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24)
            return (u - 0.5) * Float(1 + i % 7)  // blocks of different ranges
        }
        let back = try dequantized(type, try type.quantize(values), count: values.count)
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<(start + 32)]
            let amax = block.map(abs).max()!
            let bound: Float
            switch type {
            case .q8_0: bound = amax / 127 * (0.5 + 128 * 0x1p-11) + 1e-7
            // Q4_0 clamps the value opposite the extreme (q = 16 -> 15): up to one full step there.
            case .q4_0: bound = amax / 8 * (1 + 16 * 0x1p-11) + 1e-7
            case .q4_1: bound = (block.max()! - block.min()!) / 15 * (0.5 + 16 * 0x1p-11) + amax * 0x1p-11 + 1e-7
            case .f16: bound = amax * 0x1p-11
            case .bf16: bound = amax * 0x1p-8
            case .f32: bound = 0
            }
            for i in start..<(start + 32) {
                #expect(abs(back[i] - values[i]) <= bound, "\(type.name) value \(i): \(values[i]) -> \(back[i])")
            }
        }
    }
}
