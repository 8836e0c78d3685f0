import Foundation
import Testing
@testable import Alignment
import Llama

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

    /// A tensor large enough to be split over threads gets exactly the serial loop's f32 result.
    @Test func largeTensorsMatchTheSerialLoopBitForBit() {
        let count = 3 * AdamW.elementsPerPart + 17
        var random = SeededRandom(seed: 11)
        let start = (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) }
        let grads = (0..<2).map { _ in (0..<count).map { _ in Float(random.nextUnit() - 0.5) } }
        var params = start
        var opt = AdamW(config: .init(weightDecay: 0.1), tensorSizes: [count])
        var p = start, m = [Float](repeating: 0, count: count), v = m
        for (k, g) in grads.enumerated() {
            opt.beginStep()
            params.withUnsafeMutableBufferPointer { pp in
                g.withUnsafeBufferPointer { opt.update(tensor: 0, parameters: pp, gradients: $0, learningRate: 1e-3) }
            }
            var c1: Float = 1, c2: Float = 1
            for _ in 0...k { c1 *= 0.9; c2 *= 0.999 }
            let correction1 = 1 - c1, correction2 = 1 - c2
            for i in 0..<count {
                m[i] = 0.9 * m[i] + (1 - 0.9) * g[i]
                v[i] = 0.999 * v[i] + (1 - 0.999) * g[i] * g[i]
                let mHat = m[i] / correction1, vHat = v[i] / correction2
                p[i] -= 1e-3 * (mHat / (vHat.squareRoot() + 1e-8) + 0.1 * p[i])
            }
        }
        #expect(params == p)
        #expect(opt.firstMoments[0] == m && opt.secondMoments[0] == v)
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

    /// Tensors long enough for blocked, lane-wise and multi-threaded summation (and a ragged tail) against a
    /// Double sum: 1e-6 relative (f32 sums over at most 512 terms per lane before the Double flush).
    @Test(arguments: [5, 4096 * 16 - 3, 4096 * 40 + 13])
    func sumOfSquaresMatchesDouble(count: Int) {
        var random = SeededRandom(seed: UInt64(count))
        let x = (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) }
        let exact = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        let norm = x.withUnsafeBufferPointer { GradientClipping.globalNorm([$0]) }
        #expect(abs(norm * norm - exact) <= 1e-6 * exact)
        var bad = x
        bad[count - 1] = .infinity
        #expect(!bad.withUnsafeBufferPointer { GradientClipping.globalNorm([$0]) }.isFinite)
    }
}
