import Foundation
import LinearAlgebra

/// The element-wise and row-wise layers of the forward pass as plain loops over flat buffers
/// (llm.c style), one function per layer, so that a backward pass can be added next to each.
/// Dimension letters: N rows (tokens in the batch), C width, HD head dim, F FFN width, V vocab.
public enum Kernels {
    /// out[n, :] = embedding[tokens[n], :]. Tokens must already be range-checked.
    public static func embed(tokens: [Int], embedding: UnsafePointer<Float>, width c: Int,
                             out: UnsafeMutablePointer<Float>) {  // embedding [V, C], out [N, C]
        for (n, token) in tokens.enumerated() {
            (out + n * c).update(from: embedding + token * c, count: c)
        }
    }

    /// out[n] = x[n] / sqrt(mean(x[n]²) + eps) · gain, per row. Sums in Double: the mean of 576
    /// squares then carries no rounding worth mentioning.
    public static func rmsNorm(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rows: Int, width c: Int,
                               epsilon: Float, out: UnsafeMutablePointer<Float>) {  // x, out [N, C]; gain [C]
        for n in 0..<rows {
            let row = x + n * c, o = out + n * c
            var sumSquares: Double = 0
            for i in 0..<c { sumSquares += Double(row[i]) * Double(row[i]) }
            let scale = Float(1 / (sumSquares / Double(c) + Double(epsilon)).squareRoot())
            for i in 0..<c { o[i] = row[i] * scale * gain[i] }
        }
    }

    /// cos/sin of the RoPE angles for each row's position: angle(p, i) = p · base^(-2i/HD), i < HD/2.
    /// Computed in Double once per forward pass and shared by every layer.
    public static func ropeTables(positions: [Int], headDim hd: Int, base: Float,
                                  cos cosOut: UnsafeMutablePointer<Float>, sin sinOut: UnsafeMutablePointer<Float>) {
        let half = hd / 2  // cos, sin [N, HD/2]
        for (n, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(p) * pow(Double(base), -2 * Double(i) / Double(hd))
                cosOut[n * half + i] = Float(Foundation.cos(angle))
                sinOut[n * half + i] = Float(Foundation.sin(angle))
            }
        }
    }

    /// Rotates `heads` heads of each row in place, pairing elements (2i, 2i+1) of a head: the "normal"
    /// RoPE of llama.cpp, which is right for GGUF files because its converter permuted Hugging Face's
    /// q/k rows (HF rotates halves (i, i + HD/2) instead; the permutation makes the two agree).
    public static func rope(_ x: UnsafeMutablePointer<Float>, rows: Int, ld: Int, heads: Int, headDim hd: Int,
                            cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {  // x [N, ld], heads at 0..<heads*HD
        let half = hd / 2
        for n in 0..<rows {
            let c = cos + n * half, s = sin + n * half
            for h in 0..<heads {
                let v = x + n * ld + h * hd
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = a * c[i] - b * s[i]
                    v[2 * i + 1] = a * s[i] + b * c[i]
                }
            }
        }
    }

    /// out[n, j] = silu(gu[n, j]) · gu[n, F + j] where silu(g) = g / (1 + e^-g): the SwiGLU gate.
    public static func swiGLU(gateUp: UnsafePointer<Float>, rows: Int, ffnWidth f: Int,
                              out: UnsafeMutablePointer<Float>) {  // gateUp [N, 2F], out [N, F]
        for n in 0..<rows {
            let g = gateUp + n * 2 * f
            VectorMath.siluMul(gate: g, up: g + f, out: out + n * f, count: f)
        }
    }

    /// In-place softmax of the first `count` entries of a row; entries from `count` to `rowWidth` are
    /// set to 0 (the causal mask: future positions get no weight).
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int, rowWidth: Int) {
        var maxValue = -Float.infinity
        for t in 0..<count { maxValue = max(maxValue, row[t]) }
        let sum = VectorMath.expSum(row, count: count, shift: maxValue, out: row)
        let inverse = Float(1 / sum)
        for t in 0..<count { row[t] *= inverse }
        for t in count..<rowWidth { row[t] = 0 }
    }

    /// log Σ exp(row[i]) over `count` entries, stable (max subtracted), summed in Double.
    public static func logSumExp(_ row: UnsafePointer<Float>, count: Int) -> Double {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, row[i]) }
        return Double(maxValue) + Foundation.log(VectorMath.expSum(row, count: count, shift: maxValue, out: nil))
    }
}
