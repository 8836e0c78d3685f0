/// Global gradient-norm clipping (the paper's stabilizer) and the non-finite check that lets a bad step be
/// skipped with weights and optimizer state untouched.
public enum GradientClipping {
    /// L2 norm over all gradient tensors together, accumulated in double so 134M squares do not lose precision.
    /// Returns a non-finite value when any gradient is NaN or infinite.
    public static func globalNorm(_ gradients: [UnsafeBufferPointer<Float>]) -> Double {
        var total = 0.0
        for g in gradients {
            var partial: Float = 0
            var block = 0
            for x in g {
                partial += x * x
                block += 1
                if block == 4096 {  // flush to double often enough to keep f32 partial sums accurate
                    total += Double(partial)
                    partial = 0
                    block = 0
                }
            }
            total += Double(partial)
        }
        return total.squareRoot()
    }

    /// Scale factor that brings `norm` down to `maxNorm` (1 when already within it).
    public static func scale(norm: Double, maxNorm: Double) -> Float {
        guard maxNorm > 0, norm > maxNorm else { return 1 }
        return Float(maxNorm / (norm + 1e-6))
    }
}
