import Dispatch
import LinearAlgebra

/// Global gradient-norm clipping (the paper's stabilizer) and the non-finite check that lets a bad step be
/// skipped with weights and optimizer state untouched.
public enum GradientClipping {
    /// L2 norm over all gradient tensors together, accumulated in double so 134M squares do not lose precision.
    /// Returns a non-finite value when any gradient is NaN or infinite.
    public static func globalNorm(_ gradients: [UnsafeBufferPointer<Float>]) -> Double {
        var total = 0.0
        for g in gradients { total += sumOfSquares(g) }
        return total.squareRoot()
    }

    /// Σ x² of one tensor: blocks of 4096 elements summed in eight f32 lanes and flushed to double (short
    /// enough f32 sums to stay accurate), large tensors in one range per core, the ranges added in order
    /// (the result does not depend on thread timing).
    static func sumOfSquares(_ g: UnsafeBufferPointer<Float>) -> Double {
        guard let base = g.baseAddress, g.count > 0 else { return 0 }
        let block = 4096, blocks = (g.count + block - 1) / block
        let parts = max(1, min(BLAS.threadCount, blocks / 16))
        let per = (blocks + parts - 1) / parts
        var partials = [Double](repeating: 0, count: parts)
        partials.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out, base = base
            let count = g.count
            let body: @Sendable (Int) -> Void = { part in
                var sum = 0.0
                for b in (part * per)..<min(blocks, (part + 1) * per) {
                    let lo = b * block, hi = min(lo + block, count)
                    var lanes = SIMD8<Float>(), i = lo
                    while i + 8 <= hi {
                        let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                        lanes += v * v
                        i += 8
                    }
                    var tail: Float = 0
                    while i < hi { tail += base[i] * base[i]; i += 1 }
                    sum += Double(lanes.sum()) + Double(tail)
                }
                out[part] = sum
            }
            if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
        }
        return partials.reduce(0, +)
    }

    /// Scale factor that brings `norm` down to `maxNorm` (1 when already within it).
    public static func scale(norm: Double, maxNorm: Double) -> Float {
        guard maxNorm > 0, norm > maxNorm else { return 1 }
        return Float(maxNorm / (norm + 1e-6))
    }
}
