/// GRAO (arXiv 2508.07750, Eq. 3) exactly as DESIGN.md §2 states it, for one training item (q, y):
///
///     J = (1/G) Σ_i A_i l(o_i)  +  β A_y l(y)  +  λ (1/G) Σ_i A_i (l(o_i) − l(y))
///         exploration            imitation         alignment regularizer
///
/// with length-normalized log-likelihoods l(·) and group-relative advantages. The loss is −J (scaled by the
/// step's 1/items). The three terms are returned separately because the paper's analysis is about their shares.
public struct GRAOObjective: Sendable {
    /// Hyper-parameters; the defaults are the paper's (G = 8 is the sampler's concern, not the objective's).
    public struct Config: Sendable, Equatable, Codable {
        /// Weight of the imitation term on the reference answer.
        public var beta: Double = 0.5
        /// Weight of the alignment regularizer.
        public var lambda: Double = 0.6
        /// How rewards become advantages (reference in the group by default).
        public var advantages = GroupAdvantages.Options()
        /// Ablation switches (the paper's Table 3): a disabled term contributes neither value nor gradient.
        public var useExploration = true
        public var useImitation = true
        public var useAlignment = true

        public init(beta: Double = 0.5, lambda: Double = 0.6, advantages: GroupAdvantages.Options = .init(),
                    useExploration: Bool = true, useImitation: Bool = true, useAlignment: Bool = true) {
            self.beta = beta
            self.lambda = lambda
            self.advantages = advantages
            self.useExploration = useExploration
            self.useImitation = useImitation
            self.useAlignment = useAlignment
        }
    }

    /// One prompt's group: G sampled completions and the reference answer, each with the current policy's
    /// per-token log-probs (completion tokens only) and its reward (`nil` = the reward failed: masked out).
    public struct Item: Sendable {
        public var sampleLogProbs: [[Float]]
        public var sampleRewards: [Double?]
        public var referenceLogProbs: [Float]
        public var referenceReward: Double?

        public init(sampleLogProbs: [[Float]], sampleRewards: [Double?], referenceLogProbs: [Float],
                    referenceReward: Double?) {
            self.sampleLogProbs = sampleLogProbs
            self.sampleRewards = sampleRewards
            self.referenceLogProbs = referenceLogProbs
            self.referenceReward = referenceReward
        }
    }

    public var config: Config

    public init(config: Config = Config()) { self.config = config }

    /// Loss, token weights and terms for one item. `scale` is 1 / (items in the whole step), so that gradient
    /// accumulation over micro-batches gives the same step whatever the split.
    /// Token weights come back for the samples in order, then the reference as the last array.
    public func evaluate(_ item: Item, scale: Double) -> ObjectiveOutput {
        precondition(item.sampleLogProbs.count == item.sampleRewards.count, "one reward slot per sample")
        let adv = GroupAdvantages(sampleRewards: item.sampleRewards, referenceReward: item.referenceReward,
                                  options: config.advantages)
        let valid = item.sampleRewards.indices.filter { item.sampleRewards[$0] != nil }
        let g = Double(valid.count)
        let lY = SequenceLikelihood.mean(item.referenceLogProbs)
        let aY = adv.reference ?? 0  // a failed reference reward removes the imitation term only

        var exploration = 0.0, alignment = 0.0, sumA = 0.0
        var dSample = [Double](repeating: 0, count: item.sampleLogProbs.count)  // dJ/dl(o_i)
        if g > 0 {
            for i in valid {
                let a = adv.samples[i]!
                let l = SequenceLikelihood.mean(item.sampleLogProbs[i])
                exploration += a * l / g
                alignment += config.lambda * a * (l - lY) / g
                sumA += a
                dSample[i] = (config.useExploration ? a / g : 0) + (config.useAlignment ? config.lambda * a / g : 0)
            }
        }
        let imitation = config.beta * aY * lY
        let dReference = (config.useImitation ? config.beta * aY : 0)
            - (config.useAlignment && g > 0 ? config.lambda * sumA / g : 0)

        let j = (config.useExploration ? exploration : 0) + (config.useImitation ? imitation : 0)
            + (config.useAlignment ? alignment : 0)
        var weights = item.sampleLogProbs.indices.map {
            SequenceLikelihood.meanGradient(-scale * dSample[$0], count: item.sampleLogProbs[$0].count)
        }
        weights.append(SequenceLikelihood.meanGradient(-scale * dReference, count: item.referenceLogProbs.count))
        return ObjectiveOutput(loss: -scale * j, tokenWeights: weights, terms: [
            "exploration": scale * (config.useExploration ? exploration : 0),
            "imitation": scale * (config.useImitation ? imitation : 0),
            "alignment": scale * (config.useAlignment ? alignment : 0),
            "zero_variance_groups": adv.isZeroVariance ? 1 : 0,
            "masked_samples": Double(item.sampleRewards.count - valid.count),
            "reference_reward_failed": item.referenceReward == nil ? 1 : 0,
        ])
    }
}
