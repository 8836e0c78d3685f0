import VectorKernels
import Foundation

/// Exponentials over whole rows, vectorized in `VectorKernels` when the CPU has AVX2/FMA (checked once,
/// like `Linear`), with plain Swift loops otherwise.
public enum VectorMath {
    /// out[i] = exp((x[i] - shift) · scale) for i < n (`out` may be `x`, or nil to only sum); returns Σ.
    /// Relative error below 2e-7 against `Foundation.exp` for arguments in [-87, 88].
    public static func expSum(_ x: UnsafePointer<Float>, count n: Int, shift: Float, scale: Float = 1,
                              out: UnsafeMutablePointer<Float>?) -> Double {
        if Linear.smallBatchAvailable { return VectorExp.expSum(x, count: n, shift: shift, scale: scale, out: out) }
        var total: Double = 0
        for i in 0..<n {
            let v = Foundation.exp((x[i] - shift) * scale)
            out?[i] = v
            total += Double(v)
        }
        return total
    }

    /// out[i] = gate[i] / (1 + exp(-gate[i])) · up[i] (SiLU-gated product) for i < n.
    public static func siluMul(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               count n: Int) {
        if Linear.smallBatchAvailable { return VectorExp.siluMul(gate: gate, up: up, out: out, count: n) }
        for i in 0..<n { out[i] = gate[i] / (1 + Foundation.exp(-gate[i])) * up[i] }
    }
}
