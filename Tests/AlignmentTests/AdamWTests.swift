import Foundation
import Testing
@testable import Alignment

@Suite struct AdamWTests {
    /// Three steps against a plain double-precision transcription of the AdamW update rule.
    @Test func matchesReferenceUpdateOverSeveralSteps() {
        var params: [Float] = [0.5, -1.0, 2.0, 0.0]
        let grads: [[Float]] = [[0.1, -0.2, 0.3, 0.0], [0.05, 0.1, -0.3, 1.0], [-0.2, 0.0, 0.1, 0.5]]
        var opt = AdamW(config: .init(weightDecay: 0.1), tensorSizes: [4])
        var p = params.map(Double.init), m = [Double](repeating: 0, count: 4), v = m
        let lr = 0.01
        for (k, g) in grads.enumerated() {
            opt.beginStep()
            params.withUnsafeMutableBufferPointer { pp in
                g.withUnsafeBufferPointer { gp in opt.update(tensor: 0, parameters: pp, gradients: gp, learningRate: Float(lr)) }
            }
            let step = Double(k + 1)
            for i in 0..<4 {
                m[i] = 0.9 * m[i] + 0.1 * Double(g[i])
                v[i] = 0.999 * v[i] + 0.001 * Double(g[i]) * Double(g[i])
                let mh = m[i] / (1 - pow(0.9, step)), vh = v[i] / (1 - pow(0.999, step))
                p[i] -= lr * (mh / (vh.squareRoot() + 1e-8) + 0.1 * p[i])
            }
        }
        // f32 arithmetic over three steps: agreement to ~1e-6 relative is what single precision allows.
        for i in 0..<4 { #expect(abs(Double(params[i]) - p[i]) < 1e-6 * max(1, abs(p[i]))) }
        #expect(opt.step == 3)
    }

    @Test func tensorsWithoutDecayAreNotShrunk() {
        var params: [Float] = [1, 1]
        var opt = AdamW(config: .init(weightDecay: 0.5), tensorSizes: [2], decays: [false])
        opt.beginStep()
        let zero: [Float] = [0, 0]
        params.withUnsafeMutableBufferPointer { pp in
            zero.withUnsafeBufferPointer { opt.update(tensor: 0, parameters: pp, gradients: $0, learningRate: 0.1) }
        }
        #expect(params == [1, 1])
    }

    @Test func restoreRejectsMismatchedState() {
        var opt = AdamW(tensorSizes: [3])
        #expect(throws: AlignmentError.self) {
            try opt.restore(step: 2, firstMoments: [[0, 0]], secondMoments: [[0, 0]])
        }
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func warmupThenConstant() throws {
        let s = try LearningRateSchedule(peak: 1e-3, warmupSteps: 4)
        #expect(s.rate(atStep: 1) == 2.5e-4)
        #expect(s.rate(atStep: 4) == 1e-3)
        #expect(s.rate(atStep: 100) == 1e-3)
    }

    @Test func cosineEndsAtFloor() throws {
        let s = try LearningRateSchedule(peak: 1, warmupSteps: 0, decay: .cosine, totalSteps: 10, minimumRatio: 0.1)
        #expect(abs(s.rate(atStep: 10) - 0.1) < 1e-12)
        #expect(abs(s.rate(atStep: 5) - (0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * 0.5)))) < 1e-12)
    }

    @Test func invalidSchedulesAreRefused() {
        #expect(throws: AlignmentError.self) { try LearningRateSchedule(peak: 0) }
        #expect(throws: AlignmentError.self) { try LearningRateSchedule(peak: .nan) }
        #expect(throws: AlignmentError.self) { try LearningRateSchedule(peak: 1, warmupSteps: 5, decay: .cosine, totalSteps: 5) }
    }
}

@Suite struct GradientClippingTests {
    @Test func globalNormSpansTensorsAndFlagsNonFinite() {
        let a: [Float] = [3, 0], b: [Float] = [4]
        let norm = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { GradientClipping.globalNorm([ap, $0]) } }
        #expect(abs(norm - 5) < 1e-9)
        let bad: [Float] = [1, .nan]
        #expect(!bad.withUnsafeBufferPointer { GradientClipping.globalNorm([$0]) }.isFinite)
        #expect(GradientClipping.scale(norm: 0.5, maxNorm: 1) == 1)
        #expect(abs(GradientClipping.scale(norm: 5, maxNorm: 1) - 0.2) < 1e-6)
    }
}
