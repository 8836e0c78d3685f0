import Foundation

/// Exponentials over rows (softmax, log-sum-exp, sampling, SiLU), 8 lanes at a time: a 512-token prefill
/// computes ~60 million of them, too many for scalar `exp`. Requires `CPUFeatures.hasAVX2FMA`.
public enum VectorExp {
    /// exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by the Cephes degree-5 minimax
    /// polynomial, ln 2 split in two constants so that r keeps its low bits. Relative error below 2e-7 on
    /// [-87, 88]; arguments below -87.3 give about 1e-38 rather than 0 (harmless for softmax weights).
    ///
    /// Written with adds, FMAs and integer bit operations only: the standard library's SIMD comparisons,
    /// min/max and rounding compile to per-lane scalar loops, which made this 3x slower.
    @inline(__always)
    static func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = clamp(input, below: -87.3, above: 88.3)
        // Adding 1.5·2^23 rounds t to the nearest integer (|t| < 2^22 here) and leaves n in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = magic.addingProduct(x, SIMD8(repeating: 1.44269504088896341))  // x·log2(e) + magic
        let n = shifted - magic
        var r = x.addingProduct(-n, SIMD8(repeating: 0.693359375))
        r = r.addingProduct(-n, SIMD8(repeating: -2.12194440e-4))
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = SIMD8(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = SIMD8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.0000001201e-1).addingProduct(p, r)
        p = (r + 1).addingProduct(p, r * r)
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000  // n as an integer
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)  // · 2^n
    }

    /// Lanes outside [low, high] replaced by the bound (NaN passes through). The sign of x − bound is exact,
    /// so its sign bit, spread by an arithmetic shift, is the lane mask for the select.
    @inline(__always)
    static func clamp(_ x: SIMD8<Float>, below low: Float, above high: Float) -> SIMD8<Float> {
        let lowered = select(bound: low, where: unsafeBitCast(x - SIMD8(repeating: low), to: SIMD8<Int32>.self) &>> 31,
                             else: x)
        return select(bound: high, where: unsafeBitCast(SIMD8(repeating: high) - lowered, to: SIMD8<Int32>.self) &>> 31,
                      else: lowered)
    }

    /// `bound` in the lanes where `mask` is all ones, `value` elsewhere (bitwise, so it vectorizes).
    @inline(__always)
    static func select(bound: Float, where mask: SIMD8<Int32>, else value: SIMD8<Float>) -> SIMD8<Float> {
        let b = SIMD8<Int32>(repeating: Int32(bitPattern: bound.bitPattern))
        return unsafeBitCast((mask & b) | (~mask & unsafeBitCast(value, to: SIMD8<Int32>.self)), to: SIMD8<Float>.self)
    }

    /// out[i] = exp((x[i] − shift) · scale) for i < n (`out` may be `x`, or nil to only sum); returns Σ in double.
    public static func expSum(_ x: UnsafePointer<Float>, count n: Int, shift: Float, scale: Float,
                              out: UnsafeMutablePointer<Float>?) -> Double {
        let s = SIMD8<Float>(repeating: shift), k = SIMD8<Float>(repeating: scale)
        var total = 0.0
        var i = 0
        while i + 8 <= n {
            let v = exp8((load8(x + i) - s) * k)
            if let out { store8(v, out + i) }
            total += Double(v.horizontalSum)
            i &+= 8
        }
        while i < n {
            let v = Foundation.exp((x[i] - shift) * scale)
            out?[i] = v
            total += Double(v)
            i += 1
        }
        return total
    }

    /// out[i] = gate[i] / (1 + exp(−gate[i])) · up[i] (the SwiGLU product) for i < n.
    public static func siluMul(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               count n: Int) {
        var i = 0
        while i + 8 <= n {
            let g = load8(gate + i)
            store8(g / (1 + exp8(-g)) * load8(up + i), out + i)
            i &+= 8
        }
        while i < n {
            out[i] = gate[i] / (1 + Foundation.exp(-gate[i])) * up[i]
            i += 1
        }
    }
}
