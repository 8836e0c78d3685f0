import Llama

/// Held-out evaluation with fixed decoding: the policy answers every prompt greedily (batched), the task's reward
/// scores each completion and the reference answer, and each completion gets a success flag and a verdict
/// against the reference. Alignment does not know the reward models, so scoring is an injected closure.
public struct Evaluator: Sendable {
    /// How a task's rewards become success and verdicts.
    public struct Task: Sendable, Equatable {
        /// How a completion is compared with the reference.
        public enum Comparison: String, Sendable, Equatable, Codable {
            /// Both are scored; the verdict is the sign of reward(completion) − reward(reference).
            case rewardVersusReference = "reward_vs_reference"
            /// The reward already is a pairwise judgement against the reference (+1 / 0 / −1): its sign is the verdict.
            case pairwise
        }

        /// reward >= successThreshold counts as a success.
        public var successThreshold: Double
        public var comparison: Comparison

        /// A task's scoring rule.
        public init(successThreshold: Double, comparison: Comparison = .rewardVersusReference) {
            self.successThreshold = successThreshold
            self.comparison = comparison
        }
    }

    /// One thing for the scorer: prompt text, completion text, reference and metadata, all of one task.
    public struct ScoreRequest: Sendable, Equatable {
        public var prompt: String
        public var completion: String
        public var reference: String
        public var metadata: [String: String]

        /// A request; see the properties.
        public init(prompt: String, completion: String, reference: String, metadata: [String: String]) {
            self.prompt = prompt
            self.completion = completion
            self.reference = reference
            self.metadata = metadata
        }
    }

    /// Scores a batch of one task's requests: one reward per request, in order, nil where the reward failed.
    public typealias Scorer = @Sendable (_ task: String, _ requests: [ScoreRequest]) async -> [Double?]

    public var prompts: [EvaluationPrompt]
    public var tasks: [String: Task]
    /// Most generated tokens per completion (EOS included).
    public var maxTokens: Int
    /// Prompts decoded together in one batched generation call (bounds KV-cache memory).
    public var batchSize: Int
    public var endOfSequence: Set<Int>
    public var decoder: any TokenTextDecoding
    public var score: Scorer

    /// An evaluator; throws when a prompt's task has no scoring rule or a size is out of range.
    public init(prompts: [EvaluationPrompt], tasks: [String: Task], maxTokens: Int, batchSize: Int = 16,
                endOfSequence: Set<Int>, decoder: any TokenTextDecoding, score: @escaping Scorer) throws {
        guard !prompts.isEmpty else { throw AlignmentError.invalidTraining("an evaluation needs at least one prompt") }
        guard maxTokens >= 1, batchSize >= 1 else {
            throw AlignmentError.invalidTraining("evaluation max tokens and batch size must be >= 1")
        }
        if let missing = prompts.first(where: { tasks[$0.task] == nil }) {
            throw AlignmentError.invalidTraining("evaluation prompt of task '\(missing.task)' has no scoring rule")
        }
        self.prompts = prompts
        self.tasks = tasks
        self.maxTokens = maxTokens
        self.batchSize = batchSize
        self.endOfSequence = endOfSequence
        self.decoder = decoder
        self.score = score
    }

    /// Greedy completions of every prompt by `policy`, in prompt order.
    public func complete(policy: LlamaModel) throws -> [GeneratedSample] {
        var out: [GeneratedSample] = []
        out.reserveCapacity(prompts.count)
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let part = prompts[start..<min(start + batchSize, prompts.count)]
            let requests = part.map {
                GenerationRequest(prompt: $0.tokens, sampleCount: 1, maxTokens: maxTokens, sampling: .greedy, seed: 0)
            }
            out += try policy.generate(requests, endOfSequence: endOfSequence, decoder: decoder).map { $0[0] }
        }
        return out
    }

    /// Completes, scores and judges every prompt (see `judge`).
    public func run(policy: LlamaModel) async throws -> [EvaluatedCompletion] {
        let samples = try complete(policy: policy)
        return await judge(completions: samples.map(\.text), tokenCounts: samples.map(\.tokens.count))
    }

    /// Scores given completions (one per prompt, in order) and their references, task by task, and compares them.
    public func judge(completions: [String], tokenCounts: [Int]) async -> [EvaluatedCompletion] {
        precondition(completions.count == prompts.count && tokenCounts.count == prompts.count, "one completion per prompt")
        var rewards = [Double?](repeating: nil, count: prompts.count)
        var referenceRewards = rewards
        for task in Set(prompts.map(\.task)).sorted() {
            let indices = prompts.indices.filter { prompts[$0].task == task }
            let requests = indices.map { i in
                ScoreRequest(prompt: prompts[i].text, completion: completions[i], reference: prompts[i].reference,
                             metadata: prompts[i].metadata)
            }
            // The references are scored too: the verdict compares with them, and a judge may not give them its top score.
            let references = indices.map { i in
                ScoreRequest(prompt: prompts[i].text, completion: prompts[i].reference, reference: prompts[i].reference,
                             metadata: prompts[i].metadata)
            }
            let scored = await score(task, requests + references)
            // A scorer that breaks its contract (wrong count) fails every item of the batch rather than shifting them.
            guard scored.count == 2 * indices.count else { continue }
            for (k, i) in indices.enumerated() {
                rewards[i] = scored[k]
                referenceRewards[i] = scored[indices.count + k]
            }
        }
        return prompts.indices.map { i in
            let rule = tasks[prompts[i].task]!
            let reward = rewards[i].flatMap { $0.isFinite ? $0 : nil }
            let referenceReward = referenceRewards[i].flatMap { $0.isFinite ? $0 : nil }
            var verdict: Verdict?
            switch rule.comparison {
            case .pairwise:
                verdict = reward.map(Self.sign)
            case .rewardVersusReference:
                if let r = reward, let ry = referenceReward { verdict = Self.sign(r - ry) }
            }
            return EvaluatedCompletion(task: prompts[i].task, completion: completions[i], tokens: tokenCounts[i],
                                       reward: reward, referenceReward: referenceReward,
                                       success: reward.map { $0 >= rule.successThreshold }, verdict: verdict)
        }
    }

    /// Win, tie or loss from a score difference; differences within 1e-9 are ties (float noise of equal scores).
    static func sign(_ x: Double) -> Verdict { x > 1e-9 ? .win : (x < -1e-9 ? .loss : .tie) }
}
