import Foundation

/// GRPO baseline in its DeepSeekMath form: group z-score advantages over the G samples, token-level ratio
/// π_θ/π_old with PPO clipping, and a k3 estimate of KL to the reference policy.
///
///     L = −(1/G) Σ_i (1/|o_i|) Σ_t [ min(ρ_t A_i, clip(ρ_t, 1−ε, 1+ε) A_i) − β_KL · k3_t ]
///     ρ_t = exp(log π_θ − log π_old),  k3_t = exp(x) − x − 1 with x = log π_ref − log π_θ
public struct GRPOObjective: Sendable {
    /// Hyper-parameters (DeepSeekMath defaults).
    public struct Config: Sendable, Equatable, Codable {
        public var clipEpsilon: Double = 0.2
        public var klCoefficient: Double = 0.04
        /// Advantages over the samples only (`referenceInGroup` is ignored: GRPO has no reference answer).
        public var advantages = GroupAdvantages.Options(referenceInGroup: false)

        public init(clipEpsilon: Double = 0.2, klCoefficient: Double = 0.04,
                    advantages: GroupAdvantages.Options = .init(referenceInGroup: false)) {
            self.clipEpsilon = clipEpsilon
            self.klCoefficient = klCoefficient
            self.advantages = advantages
        }
    }

    /// One prompt's group: per-token log-probs under the current policy, under the policy that sampled them
    /// (π_old), and under the reference policy (`nil` when the KL coefficient is 0), plus rewards.
    public struct Item: Sendable {
        public var logProbs: [[Float]]
        public var oldLogProbs: [[Float]]
        public var referenceLogProbs: [[Float]]?
        public var rewards: [Double?]

        public init(logProbs: [[Float]], oldLogProbs: [[Float]], referenceLogProbs: [[Float]]?, rewards: [Double?]) {
            self.logProbs = logProbs
            self.oldLogProbs = oldLogProbs
            self.referenceLogProbs = referenceLogProbs
            self.rewards = rewards
        }
    }

    public var config: Config
    public init(config: Config = Config()) { self.config = config }

    /// Loss, token weights (one array per sample) and terms for one item.
    public func evaluate(_ item: Item, scale: Double) -> ObjectiveOutput {
        var options = config.advantages
        options.referenceInGroup = false
        let adv = GroupAdvantages(sampleRewards: item.rewards, referenceReward: nil, options: options)
        let valid = item.rewards.indices.filter { item.rewards[$0] != nil }
        let g = Double(valid.count)
        var weights = item.logProbs.map { [Float](repeating: 0, count: $0.count) }
        var loss = 0.0, surrogate = 0.0, kl = 0.0, clipped = 0, tokens = 0
        let lo = 1 - config.clipEpsilon, hi = 1 + config.clipEpsilon
        for i in valid {
            let a = adv.samples[i]!
            let n = item.logProbs[i].count
            guard n > 0 else { continue }
            let perToken = scale / (g * Double(n))
            for t in 0..<n {
                let lp = Double(item.logProbs[i][t])
                let ratio = exp(lp - Double(item.oldLogProbs[i][t]))
                let unclipped = ratio * a
                let clippedValue = min(max(ratio, lo), hi) * a
                // The min picks the unclipped branch (gradient ρA) unless clipping made it smaller (gradient 0).
                let useUnclipped = unclipped <= clippedValue
                var objective = useUnclipped ? unclipped : clippedValue
                var dObjective = useUnclipped ? unclipped : 0
                if !useUnclipped { clipped += 1 }
                if let ref = item.referenceLogProbs, config.klCoefficient != 0 {
                    let x = Double(ref[i][t]) - lp
                    let k3 = exp(x) - x - 1
                    objective -= config.klCoefficient * k3
                    dObjective -= config.klCoefficient * (1 - exp(x))  // d k3 / d lp = 1 − e^x
                    kl += perToken * k3
                }
                surrogate += perToken * (useUnclipped ? unclipped : clippedValue)
                loss -= perToken * objective
                weights[i][t] = Float(-perToken * dObjective)
                tokens += 1
            }
        }
        return ObjectiveOutput(loss: loss, tokenWeights: weights, terms: [
            "policy": surrogate,
            "kl": kl,
            "clipped_tokens": Double(clipped),
            "tokens": Double(tokens),
            "zero_variance_groups": adv.isZeroVariance ? 1 : 0,
            "masked_samples": Double(item.rewards.count - valid.count),
        ])
    }
}
