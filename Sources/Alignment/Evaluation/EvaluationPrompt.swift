/// One held-out prompt of an evaluation set: the chat-formatted prompt tokens the policy answers, the text a
/// judge reads, the reference answer the completion is compared with, and the task whose reward scores it.
public struct EvaluationPrompt: Sendable, Equatable {
    /// Task name; selects the reward, success threshold and comparison (`Evaluator.Task`).
    public var task: String
    /// Prompt token ids, already in the model's chat format.
    public var tokens: [Int]
    /// The prompt as the judge sees it (the user message, not the template).
    public var text: String
    /// The reference (demonstration) answer.
    public var reference: String
    /// Free-form attributes forwarded to the scorer (remote judges may read them).
    public var metadata: [String: String]

    /// A prompt; see the properties.
    public init(task: String, tokens: [Int], text: String, reference: String, metadata: [String: String] = [:]) {
        self.task = task
        self.tokens = tokens
        self.text = text
        self.reference = reference
        self.metadata = metadata
    }
}

/// A completion compared with the reference answer under the task's judge: better, as good, or worse.
/// Coded +1 / 0 / −1 like the paper's pairwise judge R(o, y).
public enum Verdict: Int, Sendable, Codable, Comparable {
    case loss = -1
    case tie = 0
    case win = 1

    /// Orders loss < tie < win, so "improved" is `after > before`.
    public static func < (a: Verdict, b: Verdict) -> Bool { a.rawValue < b.rawValue }
}

/// What the evaluator found for one prompt.
public struct EvaluatedCompletion: Sendable, Equatable, Codable {
    public var task: String
    /// The greedy completion's text (end-of-turn token not included).
    public var completion: String
    /// Generated tokens, end-of-turn included when the model emitted it.
    public var tokens: Int
    /// The completion's reward; nil when the reward failed for it (never read as 0).
    public var reward: Double?
    /// The reference answer's own reward under the same judge; nil when that failed.
    public var referenceReward: Double?
    /// reward >= the task's threshold; nil when the reward failed.
    public var success: Bool?
    /// Against the reference; nil when a reward it needs failed.
    public var verdict: Verdict?

    /// A result; see the properties.
    public init(task: String, completion: String, tokens: Int, reward: Double?, referenceReward: Double?,
                success: Bool?, verdict: Verdict?) {
        self.task = task
        self.completion = completion
        self.tokens = tokens
        self.reward = reward
        self.referenceReward = referenceReward
        self.success = success
        self.verdict = verdict
    }
}
