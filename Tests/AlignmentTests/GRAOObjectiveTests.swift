import Testing
@testable import Alignment

@Suite struct GRAOObjectiveTests {
    /// A worked example (computed by hand in the comment) pins the three terms and their sum.
    @Test func termsMatchHandComputation() {
        // l(o1) = −2, l(o2) = −4, l(y) = −1; rewards 1, 0 and r_y = 1 in one group of three:
        // mean 2/3, std √(2/9), so A1 = A_y = 1/√2 and A2 = −√2 (epsilon 0).
        // exploration = (1/2)(−2/√2 + 4√2) = 1.5√2; imitation = 0.5·(1/√2)·(−1) = −0.25√2;
        // alignment = 0.6·(1/2)(−1/√2 + 3√2) = 0.75√2; J = 2√2.
        let objective = GRAOObjective(config: .init(advantages: .init(epsilon: 0)))
        let item = GRAOObjective.Item(sampleLogProbs: [[-1, -3], [-4]], sampleRewards: [1, 0],
                                      referenceLogProbs: [-0.5, -1.5], referenceReward: 1)
        let out = objective.evaluate(item, scale: 1)
        let r2 = 2.0.squareRoot()
        #expect(abs(out.terms["exploration"]! - 1.5 * r2) < 1e-6)
        #expect(abs(out.terms["imitation"]! + 0.25 * r2) < 1e-6)
        #expect(abs(out.terms["alignment"]! - 0.75 * r2) < 1e-6)
        #expect(abs(out.loss + 2 * r2) < 1e-6)
        #expect(out.tokenWeights.map(\.count) == [2, 1, 2])
    }

    @Test func tokenWeightsAreTheLossGradient() {
        let objective = GRAOObjective()
        let base: [[Float]] = [[-1.2, -0.3, -2.0], [-0.7], [-3.1, -0.2], [-0.9, -1.1]]
        expectTokenWeightsMatchFiniteDifferences(base) { lp in
            objective.evaluate(.init(sampleLogProbs: Array(lp[0..<3]), sampleRewards: [1, 0.2, -0.5],
                                     referenceLogProbs: lp[3], referenceReward: 0.7), scale: 0.25)
        }
    }

    /// DESIGN.md §2: with y in the group Σ_i A_i = −A_y, so the λ term is a re-weighting:
    /// J = (1+λ)(1/G) Σ A_i l_i + (β + λ/G) A_y l_y.
    @Test func alignmentTermIsAnAlgebraicReweightingWithReferenceInGroup() {
        let lp: [[Float]] = [[-1.0, -2.0], [-0.5], [-3.0, -1.0, -2.0]]
        let y: [Float] = [-0.8, -0.4]
        let rewards: [Double?] = [0.9, 0.1, 0.4]
        let cfg = GRAOObjective.Config(beta: 0.5, lambda: 0.6, advantages: .init(epsilon: 1e-4))
        let out = GRAOObjective(config: cfg).evaluate(
            .init(sampleLogProbs: lp, sampleRewards: rewards, referenceLogProbs: y, referenceReward: 0.3), scale: 1)
        let adv = GroupAdvantages(sampleRewards: rewards, referenceReward: 0.3, options: cfg.advantages)
        let g = 3.0
        let explorationSum = zip(adv.samples, lp).reduce(0.0) { $0 + $1.0! * SequenceLikelihood.mean($1.1) } / g
        let expected = (1 + cfg.lambda) * explorationSum + (cfg.beta + cfg.lambda / g) * adv.reference! * SequenceLikelihood.mean(y)
        #expect(abs(-out.loss - expected) < 1e-9)
    }

    /// Without y in the group the sample advantages have zero mean, so the λ term is λ × exploration.
    @Test func alignmentTermIsLambdaTimesExplorationWithoutReferenceInGroup() {
        let cfg = GRAOObjective.Config(advantages: .init(referenceInGroup: false))
        let out = GRAOObjective(config: cfg).evaluate(
            .init(sampleLogProbs: [[-1, -2], [-0.5], [-3]], sampleRewards: [1, 0, 0.5],
                  referenceLogProbs: [-1], referenceReward: 0.2), scale: 1)
        #expect(abs(out.terms["alignment"]! - cfg.lambda * out.terms["exploration"]!) < 1e-9)
    }

    @Test func tiedGroupContributesNothingAndIsReported() {
        let out = GRAOObjective().evaluate(
            .init(sampleLogProbs: [[-1], [-2]], sampleRewards: [1, 1], referenceLogProbs: [-1], referenceReward: 1),
            scale: 1)
        #expect(out.loss == 0)
        #expect(out.tokenWeights.allSatisfy { $0.allSatisfy { $0 == 0 } })
        #expect(out.terms["zero_variance_groups"] == 1)
    }

    @Test func ablationSwitchesRemoveTermsAndTheirGradients() {
        let item = GRAOObjective.Item(sampleLogProbs: [[-1], [-2]], sampleRewards: [1, 0],
                                      referenceLogProbs: [-1.5], referenceReward: 0.5)
        let full = GRAOObjective().evaluate(item, scale: 1)
        let noImitation = GRAOObjective(config: .init(useImitation: false)).evaluate(item, scale: 1)
        #expect(noImitation.terms["imitation"] == 0)
        #expect(abs(noImitation.loss - (full.loss + full.terms["imitation"]!)) < 1e-12)
        let noExploration = GRAOObjective(config: .init(useExploration: false, useAlignment: false))
            .evaluate(item, scale: 1)
        #expect(noExploration.tokenWeights[0] == [0] && noExploration.tokenWeights[1] == [0])
    }

    @Test func maskedSamplesGetNoGradient() {
        let out = GRAOObjective().evaluate(
            .init(sampleLogProbs: [[-1], [-2], [-3]], sampleRewards: [1, nil, 0], referenceLogProbs: [-1],
                  referenceReward: 0.5), scale: 1)
        #expect(out.tokenWeights[1] == [0])
        #expect(out.terms["masked_samples"] == 1)
    }

    /// The sanity property of DESIGN.md §2 on a small softmax policy: after one step, a positive advantage
    /// raises that sample's l(o), a negative one lowers it; with every sample losing to y, l(y) rises.
    @Test func stepMovesLikelihoodsInTheDirectionOfTheAdvantage() {
        var policy = ToyPolicy(positions: 3, vocabulary: 8, seed: 7)
        let samples: [[Int]] = [[1, 2, 3], [4, 5, 6], [7, 0, 1]]
        let reference = [2, 3, 4]
        let rewards: [Double?] = [1, 0, 0.2]
        let before = samples.map { SequenceLikelihood.mean(policy.logProbs($0)) }
        let item = GRAOObjective.Item(sampleLogProbs: samples.map(policy.logProbs), sampleRewards: rewards,
                                      referenceLogProbs: policy.logProbs(reference), referenceReward: 0.5)
        let out = GRAOObjective().evaluate(item, scale: 1)
        policy.descend(sequences: samples + [reference], tokenWeights: out.tokenWeights, learningRate: 0.05)
        let after = samples.map { SequenceLikelihood.mean(policy.logProbs($0)) }
        let adv = GroupAdvantages(sampleRewards: rewards, referenceReward: 0.5)
        for i in samples.indices {
            if adv.samples[i]! > 0 { #expect(after[i] > before[i], "sample \(i) has A>0") }
            if adv.samples[i]! < 0 { #expect(after[i] < before[i], "sample \(i) has A<0") }
        }

        var policy2 = ToyPolicy(positions: 3, vocabulary: 8, seed: 11)
        let losers: [Double?] = [-1, -1, -1]
        let yBefore = SequenceLikelihood.mean(policy2.logProbs(reference))
        let item2 = GRAOObjective.Item(sampleLogProbs: samples.map(policy2.logProbs), sampleRewards: losers,
                                       referenceLogProbs: policy2.logProbs(reference), referenceReward: 0)
        let out2 = GRAOObjective().evaluate(item2, scale: 1)
        policy2.descend(sequences: samples + [reference], tokenWeights: out2.tokenWeights, learningRate: 0.05)
        #expect(SequenceLikelihood.mean(policy2.logProbs(reference)) > yBefore)
    }
}
