/// One thing to score: the prompt, the completion under judgement, and optionally a reference answer and metadata
/// (passed through to remote judges that want it).
public struct RewardItem: Sendable, Hashable {
    /// The prompt (question) the completion answers.
    public var prompt: String
    /// The text being scored.
    public var completion: String
    /// A reference (demonstration or ground-truth) answer, when the task has one.
    public var reference: String?
    /// Free-form string attributes (data source, task id...), forwarded to judges.
    public var metadata: [String: String]

    /// Makes an item; reference and metadata are optional.
    public init(prompt: String, completion: String, reference: String? = nil, metadata: [String: String] = [:]) {
        self.prompt = prompt
        self.completion = completion
        self.reference = reference
        self.metadata = metadata
    }
}

/// A successful score: the reward and the named parts it was made from (sub-graders, judge fields).
public struct RewardScore: Sendable, Equatable {
    /// The reward used for advantages.
    public var value: Double
    /// Named parts (e.g. "exact": 1, "judge": 0.5); empty when the reward has none.
    public var components: [String: Double]

    /// Makes a score with optional components.
    public init(_ value: Double, components: [String: Double] = [:]) {
        self.value = value
        self.components = components
    }
}

/// Why an item could not be scored. Callers mask the sample out and count it; it is never read as 0.
public struct RewardFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Broad classes, for counting failures in metrics without parsing messages.
    public enum Kind: String, Sendable, Equatable {
        /// The item lacks something the reward needs (e.g. no reference for ROUGE-L).
        case missingInput = "missing_input"
        /// The judge answered, but the answer was unusable (bad JSON, wrong count, NaN, out of range).
        case invalidReply = "invalid_reply"
        /// The judge said it could not score this item.
        case judgeError = "judge_error"
        /// HTTP error status (after any retries).
        case httpStatus = "http_status"
        /// No HTTP response (connection, TLS, timeout), after any retries.
        case transport = "transport"
        /// The per-batch deadline passed before this item was scored.
        case deadline = "deadline"
        /// The circuit breaker is open: the judge failed repeatedly and is not being called for now.
        case circuitOpen = "circuit_open"
        /// A part of a composite reward failed.
        case component = "component"
        /// The work was cancelled.
        case cancelled = "cancelled"
    }

    /// The class of failure.
    public var kind: Kind
    /// A human-readable reason (never contains secrets).
    public var reason: String

    /// Makes a failure of the given kind.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// "kind: reason".
    public var description: String { "\(kind.rawValue): \(reason)" }
}

/// Per item: a score or a failure.
public enum RewardOutcome: Sendable, Equatable {
    /// The item was scored.
    case score(RewardScore)
    /// The item could not be scored; see the reason.
    case failure(RewardFailure)

    /// The reward value, or nil for a failure (so a failure can never be averaged in by accident).
    public var value: Double? {
        if case .score(let s) = self { return s.value }
        return nil
    }

    /// The failure, when there is one.
    public var failure: RewardFailure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}

/// Anything that scores completions. Built-in rules, remote judges and (next) the local model as a pairwise judge
/// all conform, so the trainer and the API need only this.
///
/// Contract: `score` returns exactly one outcome per item, in order, and never throws: a problem with one item,
/// or with the whole batch (judge down, deadline), becomes a failure per affected item.
public protocol RewardModel: Sendable {
    /// A stable name for logs, metrics and cache keys (the spec's `name`, or its type).
    var name: String { get }
    /// Scores a batch; one outcome per item, in order.
    func score(_ items: [RewardItem]) async -> [RewardOutcome]
}

/// A reward computed from one item alone without I/O; `score(_:)` for a batch is derived.
public protocol LocalRewardModel: RewardModel {
    /// Scores one item synchronously.
    func scoreOne(_ item: RewardItem) -> RewardOutcome
}

extension LocalRewardModel {
    /// Scores each item in turn: local rules are microseconds each, so no concurrency is needed.
    public func score(_ items: [RewardItem]) async -> [RewardOutcome] {
        items.map(scoreOne)
    }
}
