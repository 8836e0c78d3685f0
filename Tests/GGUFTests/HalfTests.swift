import Testing
@testable import GGUF

@Suite struct HalfTests {
    /// The hand-written binary16 decoder agrees with the standard library's Float16 on every bit pattern.
    @Test func halfDecodingIsExactForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = floatFromHalfBits(bits)
            if expected.isNaN {
                #expect(got.isNaN, "bits \(bits)")
            } else {
                #expect(got.bitPattern == expected.bitPattern, "bits \(bits)")
            }
        }
    }

    /// bfloat16 is the high half of an f32; encoding rounds to nearest even.
    @Test func bfloat16RoundTrip() {
        #expect(floatFromBFloat16Bits(0x3F80) == 1)
        #expect(floatFromBFloat16Bits(0xC000) == -2)
        #expect(bfloat16BitsFromFloat(1) == 0x3F80)
        // 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (down to 1.0).
        #expect(bfloat16BitsFromFloat(1 + 0x1p-8) == 0x3F80)
        // Just above halfway rounds up.
        #expect(bfloat16BitsFromFloat(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(floatFromBFloat16Bits(bfloat16BitsFromFloat(.nan)).isNaN)
        #expect(floatFromBFloat16Bits(bfloat16BitsFromFloat(.infinity)) == .infinity)
    }
}
