/// Bit-level binary16 -> binary32 conversion. Written out because without F16C the compiler lowers
/// `Float(Float16)` to a library call per value; this is a few integer ops and is exact for every input
/// (checked against `Float16` for all 65536 bit patterns in the tests).
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let magnitude = UInt32(h & 0x7FFF)
    if magnitude >= 0x7C00 {
        // Inf or NaN: all-ones exponent, payload shifted into the top of the f32 mantissa.
        return Float(bitPattern: sign | 0x7F80_0000 | ((magnitude & 0x03FF) << 13))
    }
    if magnitude >= 0x0400 {
        // Normal: rebias the exponent from 15 to 127 ((127 - 15) << 23 = 0x3800_0000).
        return Float(bitPattern: sign | ((magnitude << 13) &+ 0x3800_0000))
    }
    // Zero or subnormal: the value is magnitude * 2^-24, exact in f32.
    let value = Float(magnitude) * 0x1p-24
    return sign == 0 ? value : -value
}

/// binary32 -> binary16 bits with round-to-nearest-even, for the writer.
@inline(__always)
func halfBitsFromFloat(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}

/// bfloat16 is the top half of a binary32: the conversion is a shift.
@inline(__always)
func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}

/// binary32 -> bfloat16 bits with round-to-nearest-even; NaN stays a quiet NaN.
@inline(__always)
func bfloat16BitsFromFloat(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounding = 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
}
