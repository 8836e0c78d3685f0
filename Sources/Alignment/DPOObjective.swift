import Foundation

/// DPO baseline (Rafailov et al.): `−log σ(β((l_c − l_c,ref) − (l_r − l_r,ref)))` with summed log-probs and a
/// frozen reference policy (with LoRA: the base weights with adapters off).
public struct DPOObjective: Sendable {
    /// Hyper-parameters.
    public struct Config: Sendable, Equatable, Codable {
        /// Inverse temperature of the implicit reward; 0.1 is the common default (TRL, the DPO paper).
        public var beta: Double = 0.1
        public init(beta: Double = 0.1) { self.beta = beta }
    }

    /// One preference pair: the policy's per-token log-probs of chosen and rejected, and the reference
    /// policy's summed log-probs of each (constants: no gradient flows into the reference).
    public struct Item: Sendable {
        public var chosenLogProbs: [Float]
        public var rejectedLogProbs: [Float]
        public var chosenReferenceLogProb: Double
        public var rejectedReferenceLogProb: Double

        public init(chosenLogProbs: [Float], rejectedLogProbs: [Float], chosenReferenceLogProb: Double,
                    rejectedReferenceLogProb: Double) {
            self.chosenLogProbs = chosenLogProbs
            self.rejectedLogProbs = rejectedLogProbs
            self.chosenReferenceLogProb = chosenReferenceLogProb
            self.rejectedReferenceLogProb = rejectedReferenceLogProb
        }
    }

    public var config: Config
    public init(config: Config = Config()) { self.config = config }

    /// Loss and token weights (chosen first, then rejected).
    public func evaluate(_ item: Item, scale: Double) -> ObjectiveOutput {
        let chosen = SequenceLikelihood.sum(item.chosenLogProbs) - item.chosenReferenceLogProb
        let rejected = SequenceLikelihood.sum(item.rejectedLogProbs) - item.rejectedReferenceLogProb
        let z = config.beta * (chosen - rejected)
        // −log σ(z) = softplus(−z), computed stably for large |z|.
        let loss = z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z))
        let sigmoidNegZ = 1 / (1 + exp(z))  // σ(−z) = −d(loss)/dz
        let dChosen = -scale * config.beta * sigmoidNegZ
        return ObjectiveOutput(
            loss: scale * loss,
            tokenWeights: [
                [Float](repeating: Float(dChosen), count: item.chosenLogProbs.count),
                [Float](repeating: Float(-dChosen), count: item.rejectedLogProbs.count),
            ],
            terms: [
                "reward_margin": scale * z,
                "reward_accuracy": scale * (z > 0 ? 1 : 0),
            ])
    }
}
