import Foundation
import LinearAlgebra

/// Forward kernels that also save what their backward needs, and the backward of every element-wise
/// and row-wise layer (llm.c style: one function per layer and direction, flat buffers, shape comments).
/// Backward functions accumulate (`+=`) into input gradients, because a residual stream's gradient is
/// the sum of what flows back through the block and around it.
extension Kernels {
    /// RMSNorm forward that also stores each row's reciprocal RMS, `rstd[n] = 1/sqrt(mean(x²)+eps)`.
    /// Same arithmetic as `rmsNorm` (Double sum of squares), so training and inference agree.
    public static func rmsNormForward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rows: Int, width c: Int,
                                      epsilon: Float, out: UnsafeMutablePointer<Float>,
                                      rstd: UnsafeMutablePointer<Float>) {  // x, out [N, C]; gain [C]; rstd [N]
        for n in 0..<rows {
            let row = x + n * c, o = out + n * c
            var sumSquares: Double = 0
            for i in 0..<c { sumSquares += Double(row[i]) * Double(row[i]) }
            let scale = Float(1 / (sumSquares / Double(c) + Double(epsilon)).squareRoot())
            rstd[n] = scale
            for i in 0..<c { o[i] = row[i] * scale * gain[i] }
        }
    }

    /// Recomputes RMSNorm output from the input and the saved `rstd` (cheaper to redo than to store).
    public static func rmsNormRecompute(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                        rows: Int, width c: Int, out: UnsafeMutablePointer<Float>) {
        for n in 0..<rows {
            let row = x + n * c, o = out + n * c, scale = rstd[n]
            for i in 0..<c { o[i] = row[i] * scale * gain[i] }
        }
    }

    /// RMSNorm backward. With y = x·r·g and r = (mean(x²)+eps)^-1/2:
    /// dx_i += r·g_i·dy_i − (r³/C)·x_i·Σ_j dy_j g_j x_j, and dg_i += Σ_rows dy_i·x_i·r.
    public static func rmsNormBackward(dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, gain: UnsafePointer<Float>,
                                       rstd: UnsafePointer<Float>, rows: Int, width c: Int,
                                       dX: UnsafeMutablePointer<Float>, dGain: UnsafeMutablePointer<Float>?) {
        // dOut, x, dX [N, C]; gain, dGain [C]; rstd [N]
        for n in 0..<rows {
            let dy = dOut + n * c, row = x + n * c, dx = dX + n * c
            let r = rstd[n]
            var dot: Double = 0
            for i in 0..<c { dot += Double(dy[i]) * Double(gain[i]) * Double(row[i]) }
            let k = Float(dot * Double(r) * Double(r) * Double(r) / Double(c))
            for i in 0..<c { dx[i] += r * gain[i] * dy[i] - k * row[i] }
            if let dGain {
                for i in 0..<c { dGain[i] += dy[i] * row[i] * r }
            }
        }
    }

    /// RoPE backward: the rotation is orthogonal, so the gradient rotates by the opposite angle.
    /// Same pairing (2i, 2i+1) and tables as `rope`; operates in place on the gradient rows.
    public static func ropeBackward(_ dX: UnsafeMutablePointer<Float>, rows: Int, ld: Int, heads: Int, headDim hd: Int,
                                    cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {  // dX [N, ld]; cos, sin [N, HD/2]
        let half = hd / 2
        for n in 0..<rows {
            let c = cos + n * half, s = sin + n * half
            for h in 0..<heads {
                let v = dX + n * ld + h * hd
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = a * c[i] + b * s[i]
                    v[2 * i + 1] = -a * s[i] + b * c[i]
                }
            }
        }
    }

    /// SwiGLU backward. With h = silu(g)·u and silu(g) = g·σ(g):
    /// dg = dh·u·σ(g)·(1 + g·(1 − σ(g))), du = dh·silu(g). Writes (not accumulates) dGateUp.
    public static func swiGLUBackward(dHidden: UnsafePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int,
                                      ffnWidth f: Int, dGateUp: UnsafeMutablePointer<Float>) {
        // dHidden [N, F]; gateUp, dGateUp [N, 2F]
        for n in 0..<rows {
            let dh = dHidden + n * f, g = gateUp + n * 2 * f, u = g + f
            let dg = dGateUp + n * 2 * f, du = dg + f
            _ = VectorMath.expSum(g, count: f, shift: 0, scale: -1, out: dg)  // dg = e^-g (vectorized), then σ
            for j in 0..<f {
                let sigma = 1 / (1 + dg[j])
                let silu = g[j] * sigma
                dg[j] = dh[j] * u[j] * sigma * (1 + g[j] * (1 - sigma))
                du[j] = dh[j] * silu
            }
        }
    }

    /// Embedding backward: each row's gradient goes to its token's embedding row (repeats add up).
    public static func embedBackward(tokens: [Int], dOut: UnsafePointer<Float>, width c: Int,
                                     dEmbedding: UnsafeMutablePointer<Float>) {  // dOut [N, C]; dEmbedding [V, C]
        for (n, token) in tokens.enumerated() {
            let src = dOut + n * c, dst = dEmbedding + token * c
            for i in 0..<c { dst[i] += src[i] }
        }
    }

    /// Causal softmax backward for query rows `rows` (a block of one head), in place: with P the probabilities
    /// and dP = dO·Vᵀ, dS_ij = P_ij·(dP_ij − Σ_k P_ik dP_ik) for j ≤ i and 0 for i < j < rows.upperBound.
    /// Local row i - r0 of both buffers holds query row i. p, dP [rows.count, ld]
    public static func causalSoftmaxBackward(probabilities p: UnsafePointer<Float>,
                                             gradient dP: UnsafeMutablePointer<Float>, rows: Range<Int>, ld: Int) {
        for i in rows {
            let pr = p + (i - rows.lowerBound) * ld, dr = dP + (i - rows.lowerBound) * ld
            var dot: Float = 0
            for j in 0...i { dot += pr[j] * dr[j] }
            for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) }
            for j in (i + 1)..<max(rows.upperBound, i + 1) { dr[j] = 0 }
        }
    }
}
