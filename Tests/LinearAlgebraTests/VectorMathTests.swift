import Foundation
import Testing
@testable import LinearAlgebra

/// The vectorized exponentials against Foundation's, over the range the model uses (softmax
/// arguments are <= 0 after the max shift; SiLU gates are O(10)). Bound: 1e-6 relative (the
/// polynomial is good to ~2e-7; a wrong constant would be off by 1e-3 or more).
@Suite struct VectorMathTests {
    @Test func expSumMatchesFoundation() {
        let x = (0..<1003).map { Float($0) * 0.17 - 85 }  // -85 ... 85.5, odd count for the scalar tail
        var out = [Float](repeating: 0, count: x.count)
        let total = x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                VectorMath.expSum(xp.baseAddress!, count: x.count, shift: 0.5, scale: 0.9, out: op.baseAddress!)
            }
        }
        var expectedTotal = 0.0
        for (v, got) in zip(x, out) {
            let expected = exp(Double((v - 0.5) * 0.9))
            expectedTotal += expected
            #expect(abs(Double(got) - expected) <= 1e-6 * expected, "exp at \(v)")
        }
        #expect(abs(total - expectedTotal) <= 1e-6 * expectedTotal)
        let onlySum = x.withUnsafeBufferPointer { VectorMath.expSum($0.baseAddress!, count: 9, shift: 0, out: nil) }
        #expect(abs(onlySum - x[..<9].reduce(0.0) { $0 + exp(Double($1)) }) < 1e-6 * onlySum)
    }

    @Test func siluMulMatchesFoundation() {
        let gate = (0..<77).map { Float($0) * 0.5 - 19 }
        let up = (0..<77).map { Float($0 % 5) - 2 }
        var out = [Float](repeating: 0, count: gate.count)
        gate.withUnsafeBufferPointer { g in
            up.withUnsafeBufferPointer { u in
                out.withUnsafeMutableBufferPointer { VectorMath.siluMul(gate: g.baseAddress!, up: u.baseAddress!, out: $0.baseAddress!, count: 77) }
            }
        }
        for i in 0..<77 {
            let g = Double(gate[i]), expected = g / (1 + exp(-g)) * Double(up[i])
            #expect(abs(Double(out[i]) - expected) <= 1e-6 * abs(expected) + 1e-12, "silu at \(g)")
        }
    }

    /// Softmax feeds −∞ (masked positions) and huge magnitudes: the vector path clamps its argument, so these
    /// give ~0 and a finite maximum instead of garbage from an out-of-range exponent. One block of 8 lanes,
    /// so the vector path (not the scalar tail) handles every value.
    @Test func expSumClampsExtremeArguments() {
        let x: [Float] = [-.infinity, -1e30, -100, -87.5, 0, 1, 88, 1e30]
        var out = [Float](repeating: .nan, count: 8)
        _ = x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { VectorMath.expSum(xp.baseAddress!, count: 8, shift: 0, out: $0.baseAddress!) }
        }
        for v in out[0..<4] { #expect(v >= 0 && v < 1e-37) }
        #expect(out[4] == 1)
        #expect(abs(out[5] - Float(M_E)) < 1e-6)
        #expect(abs(Double(out[6]) / exp(88.0) - 1) < 1e-6)
        #expect(out[7].isFinite && out[7] > 1e38)
    }
}
