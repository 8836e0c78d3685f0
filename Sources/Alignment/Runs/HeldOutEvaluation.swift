import Llama

/// One held-out example's answer and its reward (`nil` = the reward failed).
public struct HeldOutResult: Sendable, Equatable, Codable {
    public var prompt: String
    public var reference: String?
    public var completion: String
    public var reward: Double?
    public var completionTokens: Int
}

/// Evaluation of the current policy on a held-out set with fixed decoding (greedy by default): one answer per
/// example, scored by the run's reward. The metrics a run's evaluation events carry; the per-example results
/// are returned too (e.g. for win rates against the reference).
public struct HeldOutEvaluation: Sendable {
    public var examples: [TrainingExample]
    public var codec: any RolloutCodec
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// A reward at or above this counts as a success.
    public var successThreshold: Double
    /// Prompts per executor call, so that a server's compute thread can serve other work in between.
    public var batchSize: Int
    public var seed: UInt64

    /// An evaluation; `examples` must not be empty.
    public init(examples: [TrainingExample], codec: any RolloutCodec, maxTokens: Int = 64,
                sampling: SamplingParameters = .greedy, successThreshold: Double = 1, batchSize: Int = 16,
                seed: UInt64 = 0) throws {
        guard !examples.isEmpty else { throw AlignmentError.invalidTraining("evaluation set has no examples") }
        guard maxTokens >= 1, batchSize >= 1 else {
            throw AlignmentError.invalidTraining("evaluation max_tokens and batch size must be >= 1")
        }
        self.examples = examples
        self.codec = codec
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.successThreshold = successThreshold
        self.batchSize = batchSize
        self.seed = seed
    }

    /// Generates, scores and summarizes: `eval_reward_mean` (over unmasked rewards), `eval_success_rate`
    /// (successes over unmasked), `eval_masked`, `eval_count`, `eval_completion_length`.
    public func evaluate(trainer: PolicyTrainer, executor: any ModelExecutor,
                         reward: RunRewardFunction) async throws -> (metrics: [String: Double], results: [HeldOutResult]) {
        let prompts = try examples.enumerated().map { i, example -> [Int] in
            do { return try codec.promptTokens(example.messages) } catch {
                throw AlignmentError.invalidTraining("evaluation example \(i): prompt: \(error)")
            }
        }
        var results: [HeldOutResult] = []
        for start in stride(from: 0, to: examples.count, by: batchSize) {
            let range = start..<min(start + batchSize, examples.count)
            let requests = range.map {
                GenerationRequest(prompt: prompts[$0], sampleCount: 1, maxTokens: maxTokens, sampling: sampling,
                                  seed: seed &+ UInt64($0))
            }
            let codec = self.codec
            let samples = try await executor.run {
                try trainer.policy.generate(requests, endOfSequence: codec.endOfSequence,
                                            decoder: CodecTextDecoder(codec: codec)).map { $0[0] }
            }
            for (i, sample) in zip(range, samples) {
                results.append(HeldOutResult(prompt: examples[i].promptText, reference: examples[i].reference,
                                             completion: sample.text, reward: nil, completionTokens: sample.tokens.count))
            }
        }
        let rewards = try await reward(zip(examples, results).map {
            RewardQuery(prompt: $1.prompt, completion: $1.completion, reference: $0.reference, metadata: $0.metadata)
        })
        guard rewards.count == results.count else {
            throw AlignmentError.invalidTraining("evaluation: \(rewards.count) rewards for \(results.count) answers")
        }
        for i in results.indices { results[i].reward = rewards[i] }
        let scored = rewards.compactMap { $0 }
        var metrics: [String: Double] = [
            "eval_count": Double(results.count), "eval_masked": Double(results.count - scored.count),
            "eval_completion_length": Double(results.reduce(0) { $0 + $1.completionTokens }) / Double(results.count),
        ]
        if !scored.isEmpty {
            metrics["eval_reward_mean"] = scored.reduce(0, +) / Double(scored.count)
            metrics["eval_success_rate"] = Double(scored.filter { $0 >= successThreshold }.count) / Double(scored.count)
        }
        return (metrics, results)
    }
}
