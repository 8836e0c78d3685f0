import Foundation
import Testing
@testable import Alignment

@Suite struct GRPOObjectiveTests {
    /// On-policy (ratio 1) and at the reference (KL 0) the surrogate is Σ A_i / G = 0 for z-scored advantages,
    /// while the gradient is the REINFORCE direction A_i / (G |o_i|).
    @Test func onPolicyGradientIsAdvantageOverLength() {
        let lp: [[Float]] = [[-1, -2], [-0.5]]
        let out = GRPOObjective(config: .init(advantages: .init(referenceInGroup: false, epsilon: 0)))
            .evaluate(.init(logProbs: lp, oldLogProbs: lp, referenceLogProbs: lp, rewards: [1, 0]), scale: 1)
        #expect(abs(out.loss) < 1e-9)
        #expect(abs(out.terms["kl"]!) < 1e-12)
        // A = ±1 with G = 2: weights −A/(2|o|).
        #expect(out.tokenWeights[0].allSatisfy { abs($0 + 0.25) < 1e-6 })
        #expect(abs(out.tokenWeights[1][0] - 0.5) < 1e-6)
    }

    @Test func tokenWeightsAreTheLossGradientIncludingClippedTokens() {
        let old: [[Float]] = [[-1, -2, -0.3], [-0.5, -1.5], [-2.2]]
        let ref: [[Float]] = [[-1.1, -1.8, -0.4], [-0.6, -1.2], [-2.0]]
        let grpo = GRPOObjective()
        // Current log-probs move some ratios outside [0.8, 1.2] so both branches of the min are exercised;
        // none sits within the FD step of a kink.
        let current: [[Float]] = [[-0.6, -2.05, -0.3], [-0.9, -1.45], [-2.15]]
        expectTokenWeightsMatchFiniteDifferences(current) { lp in
            grpo.evaluate(.init(logProbs: lp, oldLogProbs: old, referenceLogProbs: ref, rewards: [1, 0, 0.4]), scale: 1)
        }
        let out = grpo.evaluate(.init(logProbs: current, oldLogProbs: old, referenceLogProbs: ref, rewards: [1, 0, 0.4]),
                                scale: 1)
        #expect(out.terms["clipped_tokens"]! >= 1)
    }

    @Test func klIsK3Estimator() {
        // One sample group has zero variance, so only the KL term remains: β_KL · (e^x − x − 1), x = ref − lp.
        let out = GRPOObjective(config: .init(klCoefficient: 0.04)).evaluate(
            .init(logProbs: [[-1]], oldLogProbs: [[-1]], referenceLogProbs: [[-1.5]], rewards: [1]), scale: 1)
        let x = -0.5
        #expect(abs(out.loss - 0.04 * (exp(x) - x - 1)) < 1e-9)
    }
}
