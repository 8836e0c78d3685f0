import Foundation
import LinearAlgebra

/// The row-wise layers of the training passes with their rows split over `TrainingThreads` workers: each
/// row is independent, so a part is the serial kernel on a sub-range (same arithmetic, same results).
/// Only RMSNorm's gain gradient, a sum over rows, is reduced from per-part partial sums.
extension Kernels {
    /// `rmsNormForward` over parts of the rows. x, out [N, C]; rstd [N]
    static func parallelRMSNormForward(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rows: Int, width c: Int,
                                       epsilon: Float, out: UnsafeMutablePointer<Float>,
                                       rstd: UnsafeMutablePointer<Float>) {
        TrainingThreads.rows(rows) { _, r in
            rmsNormForward(x: x + r.lowerBound * c, gain: gain, rows: r.count, width: c, epsilon: epsilon,
                           out: out + r.lowerBound * c, rstd: rstd + r.lowerBound)
        }
    }

    /// `rmsNormRecompute` over parts of the rows. x, out [N, C]; rstd [N]
    static func parallelRMSNormRecompute(x: UnsafePointer<Float>, gain: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                         rows: Int, width c: Int, out: UnsafeMutablePointer<Float>) {
        TrainingThreads.rows(rows) { _, r in
            rmsNormRecompute(x: x + r.lowerBound * c, gain: gain, rstd: rstd + r.lowerBound, rows: r.count, width: c,
                             out: out + r.lowerBound * c)
        }
    }

    /// `rmsNormBackward` over parts of the rows; each part sums its gain gradient apart, then the parts are
    /// added to `dGain` in part order. dOut, x, dX [N, C]; gain, dGain [C]; rstd [N]
    static func parallelRMSNormBackward(dOut: UnsafePointer<Float>, x: UnsafePointer<Float>, gain: UnsafePointer<Float>,
                                        rstd: UnsafePointer<Float>, rows: Int, width c: Int,
                                        dX: UnsafeMutablePointer<Float>, dGain: UnsafeMutablePointer<Float>?) {
        let partials = FloatBuffer(count: dGain == nil ? 0 : TrainingThreads.workers * c)  // [workers, C]
        nonisolated(unsafe) let p = partials.pointer
        TrainingThreads.rows(rows) { part, r in
            rmsNormBackward(dOut: dOut + r.lowerBound * c, x: x + r.lowerBound * c, gain: gain, rstd: rstd + r.lowerBound,
                            rows: r.count, width: c, dX: dX + r.lowerBound * c, dGain: dGain == nil ? nil : p + part * c)
        }
        if let dGain {
            for part in 0..<(partials.count / max(c, 1)) {
                for i in 0..<c { dGain[i] += p[part * c + i] }
            }
        }
    }

    /// `swiGLU` over parts of the rows. gateUp [N, 2F], out [N, F]
    static func parallelSwiGLU(gateUp: UnsafePointer<Float>, rows: Int, ffnWidth f: Int, out: UnsafeMutablePointer<Float>) {
        TrainingThreads.rows(rows) { _, r in
            swiGLU(gateUp: gateUp + r.lowerBound * 2 * f, rows: r.count, ffnWidth: f, out: out + r.lowerBound * f)
        }
    }

    /// `swiGLUBackward` over parts of the rows. dHidden [N, F]; gateUp, dGateUp [N, 2F]
    static func parallelSwiGLUBackward(dHidden: UnsafePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int,
                                       ffnWidth f: Int, dGateUp: UnsafeMutablePointer<Float>) {
        TrainingThreads.rows(rows) { _, r in
            swiGLUBackward(dHidden: dHidden + r.lowerBound * f, gateUp: gateUp + r.lowerBound * 2 * f, rows: r.count,
                           ffnWidth: f, dGateUp: dGateUp + r.lowerBound * 2 * f)
        }
    }

    /// `rope` (or, with `backward`, `ropeBackward`) over parts of the rows. x [N, ld]; cos, sin [N, HD/2]
    static func parallelRope(_ x: UnsafeMutablePointer<Float>, rows: Int, ld: Int, heads: Int, headDim hd: Int,
                             cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, backward: Bool = false) {
        TrainingThreads.rows(rows) { _, r in
            let x = x + r.lowerBound * ld, cos = cos + r.lowerBound * hd / 2, sin = sin + r.lowerBound * hd / 2
            if backward {
                ropeBackward(x, rows: r.count, ld: ld, heads: heads, headDim: hd, cos: cos, sin: sin)
            } else {
                rope(x, rows: r.count, ld: ld, heads: heads, headDim: hd, cos: cos, sin: sin)
            }
        }
    }
}
