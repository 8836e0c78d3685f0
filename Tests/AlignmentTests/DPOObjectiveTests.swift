import Foundation
import Testing
@testable import Alignment

@Suite struct DPOObjectiveTests {
    @Test func lossMatchesHandComputation() {
        // Σ chosen = −2 (ref −3), Σ rejected = −4 (ref −3.5): z = 0.1 · (1 − (−0.5)) = 0.15, loss = log(1 + e^−0.15).
        let out = DPOObjective().evaluate(
            .init(chosenLogProbs: [-1.5, -0.5], rejectedLogProbs: [-4], chosenReferenceLogProb: -3,
                  rejectedReferenceLogProb: -3.5), scale: 1)
        #expect(abs(out.loss - log(1 + exp(-0.15))) < 1e-6)
        #expect(abs(out.terms["reward_margin"]! - 0.15) < 1e-6)
    }

    @Test func tokenWeightsAreTheLossGradient() {
        let dpo = DPOObjective(config: .init(beta: 0.5))
        expectTokenWeightsMatchFiniteDifferences([[-1.5, -0.5, -2], [-4, -0.1]]) { lp in
            dpo.evaluate(.init(chosenLogProbs: lp[0], rejectedLogProbs: lp[1], chosenReferenceLogProb: -3,
                               rejectedReferenceLogProb: -5), scale: 0.5)
        }
    }

    @Test func largeMarginsStayFinite() {
        let out = DPOObjective(config: .init(beta: 10)).evaluate(
            .init(chosenLogProbs: [-1], rejectedLogProbs: [-500], chosenReferenceLogProb: -1,
                  rejectedReferenceLogProb: -1), scale: 1)
        #expect(out.loss.isFinite && out.loss >= 0 && out.loss < 1e-6)
        let bad = DPOObjective(config: .init(beta: 10)).evaluate(
            .init(chosenLogProbs: [-500], rejectedLogProbs: [-1], chosenReferenceLogProb: -1,
                  rejectedReferenceLogProb: -1), scale: 1)
        #expect(bad.loss.isFinite && abs(bad.loss - 4990) < 1e-6)
    }

    @Test func pairsDeriveFromScoredGroups() {
        let best = PreferencePair.derive(sampleRewards: [0.2, 0.9, nil, 0.1], referenceReward: 0.5, using: .bestVsWorst)
        #expect(best == PreferencePair(chosen: .sample(1), rejected: .sample(3)))
        let ref = PreferencePair.derive(sampleRewards: [0.2, 0.9, 0.1], referenceReward: 0.5, using: .referenceVsWorst)
        #expect(ref == PreferencePair(chosen: .reference, rejected: .sample(2)))
        #expect(PreferencePair.derive(sampleRewards: [1, 1], referenceReward: nil, using: .bestVsWorst) == nil)
        #expect(PreferencePair.derive(sampleRewards: [1, 1], referenceReward: 0.5, using: .referenceVsWorst) == nil)
        #expect(PreferencePair.derive(sampleRewards: [nil, nil], referenceReward: 1, using: .referenceVsWorst) == nil)
    }
}

@Suite struct SFTObjectiveTests {
    @Test func lossIsNegativeMeanLogLikelihood() {
        let out = SFTObjective().evaluate(referenceLogProbs: [-1, -2, -3], scale: 0.5)
        #expect(abs(out.loss - 1.0) < 1e-12)
        expectTokenWeightsMatchFiniteDifferences([[-1, -2, -3]]) { lp in
            SFTObjective().evaluate(referenceLogProbs: lp[0], scale: 0.5)
        }
    }
}
