/// One question put to a language model by a model judge: how likely is `continuation` as the start of the
/// model's reply to `prompt`?
public struct LikelihoodQuery: Sendable, Hashable {
    /// The request, as the text of one user message (the scorer applies its model's chat format).
    public var prompt: String
    /// The reply text whose log-likelihood is wanted.
    public var continuation: String

    /// Pairs a prompt with a continuation.
    public init(prompt: String, continuation: String) {
        self.prompt = prompt
        self.continuation = continuation
    }
}

/// The language model seen from Rewards: the one thing a `PairwiseModelJudge` needs from it. Rewards does not
/// import Llama (DESIGN.md §4); the executable supplies the real conformer (`ModelLikelihoodScorer`, which wraps
/// the loaded model, its tokenizer and chat template) through `RewardContext.likelihoodScorer`.
///
/// Contract: one value per query, in order: the summed natural-log probability of the continuation's tokens
/// given the prompt, teacher-forced (no sampling), so the same queries give the same values. Throw when the
/// batch cannot be scored (e.g. a text longer than the model's context).
public protocol CompletionLikelihoodScorer: Sendable {
    /// Summed log-probability of each query's continuation given its prompt.
    func logLikelihoods(_ queries: [LikelihoodQuery]) async throws -> [Double]
}
