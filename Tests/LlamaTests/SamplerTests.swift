import Foundation
import Testing
@testable import Llama

/// Sampling semantics on hand-made distributions. Frequency checks use 20,000 draws: a token with
/// probability p then lands within 5 standard deviations (5·sqrt(p(1-p)/n) <= 0.018) of p except
/// with negligible probability, and the seed is fixed anyway, so the test is deterministic.
@Suite struct SamplerTests {
    /// Logits whose temperature-1 softmax is exactly `probabilities`.
    static func logits(_ probabilities: [Double]) -> [Float] { probabilities.map { Float(log($0)) } }

    static func frequencies(_ logits: [Float], _ parameters: SamplingParameters, draws: Int = 20000,
                            seed: UInt64 = 5) -> [Double] {
        var random = SeededRandom(seed: seed)
        var scratch: [Float] = []
        var counts = [Int](repeating: 0, count: logits.count)
        logits.withUnsafeBufferPointer { p in
            for _ in 0..<draws {
                counts[Sampler.sample(logits: p.baseAddress!, count: logits.count, parameters: parameters,
                                      random: &random, probabilities: &scratch)] += 1
            }
        }
        return counts.map { Double($0) / Double(draws) }
    }

    static let distribution = [0.05, 0.5, 0.15, 0.3]  // sorted order: 1, 3, 2, 0

    @Test func plainSamplingFollowsTheDistribution() {
        let f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1))
        for (a, b) in zip(f, Self.distribution) { #expect(abs(a - b) < 0.018) }
    }

    @Test func temperatureSharpens() {
        // T = 0.5 squares the probabilities before renormalizing.
        let squared = Self.distribution.map { $0 * $0 }
        let z = squared.reduce(0, +)
        let f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 0.5))
        for (a, b) in zip(f, squared.map { $0 / z }) { #expect(abs(a - b) < 0.018) }
    }

    @Test func topKKeepsTheKMostLikely() {
        let f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, topK: 2))
        #expect(f[0] == 0 && f[2] == 0)
        #expect(abs(f[1] - 0.5 / 0.8) < 0.018 && abs(f[3] - 0.3 / 0.8) < 0.018)
        let greedy = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, topK: 1), draws: 100)
        #expect(greedy[1] == 1)
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // 0.5 + 0.3 = 0.8 >= 0.7: tokens 1 and 3 only.
        var f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, topP: 0.7))
        #expect(f[0] == 0 && f[2] == 0 && abs(f[1] - 0.625) < 0.018)
        // 0.81 needs token 2 as well; token 0 (0.05) stays out.
        f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, topP: 0.81))
        #expect(f[0] == 0 && f[2] > 0.1)
        // top-k then top-p: the nucleus is measured within the top 2 (0.5 / 0.8 = 0.625 >= 0.6).
        f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, topK: 2, topP: 0.6))
        #expect(f[1] == 1)
    }

    @Test func minPDropsTokensBelowTheFractionOfTheBest() {
        // 0.3 / 0.5 = 0.6 and 0.15 / 0.5 = 0.3: min_p 0.5 keeps tokens 1 and 3.
        let f = Self.frequencies(Self.logits(Self.distribution), SamplingParameters(temperature: 1, minP: 0.5))
        #expect(f[0] == 0 && f[2] == 0 && abs(f[3] - 0.375) < 0.018)
    }

    @Test func nucleusInALargeFlatVocabulary() {
        // 5000 equal tokens: top-p 0.5 must keep exactly half of them (the lowest ids, by the tie rule).
        let flat = [Float](repeating: 0, count: 5000)
        let f = Self.frequencies(flat, SamplingParameters(temperature: 1, topP: 0.5), draws: 5000)
        #expect(f[2500...].allSatisfy { $0 == 0 })
        #expect(f[..<2500].filter { $0 > 0 }.count > 2000)
    }

    @Test func greedyIsArgmaxAndSameSeedIsSameDraws() {
        let l = Self.logits(Self.distribution)
        #expect(Self.frequencies(l, .greedy, draws: 10)[1] == 1)
        #expect(Self.frequencies(l, SamplingParameters(temperature: 1), draws: 300, seed: 9)
            == Self.frequencies(l, SamplingParameters(temperature: 1), draws: 300, seed: 9))
    }

    @Test func invalidParametersAreRefused() {
        #expect(throws: LlamaError.self) { try SamplingParameters(temperature: -1).validate() }
        #expect(throws: LlamaError.self) { try SamplingParameters(temperature: .nan).validate() }
        #expect(throws: LlamaError.self) { try SamplingParameters(topK: -1).validate() }
        #expect(throws: LlamaError.self) { try SamplingParameters(topP: 0).validate() }
        #expect(throws: LlamaError.self) { try SamplingParameters(minP: 1.5).validate() }
    }
}
