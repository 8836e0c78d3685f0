/// Supervised fine-tuning baseline: maximize the length-normalized log-likelihood of the reference, l(y).
public struct SFTObjective: Sendable {
    public init() {}

    /// Loss −scale·l(y) and its token weights (one array: the reference's).
    public func evaluate(referenceLogProbs: [Float], scale: Double) -> ObjectiveOutput {
        let l = SequenceLikelihood.mean(referenceLogProbs)
        return ObjectiveOutput(
            loss: -scale * l,
            tokenWeights: [SequenceLikelihood.meanGradient(-scale, count: referenceLogProbs.count)],
            terms: ["log_likelihood": scale * l])
    }
}
