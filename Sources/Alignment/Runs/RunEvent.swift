/// What one run step did: the update's metrics and the rollout's statistics.
public struct RunStepRecord: Sendable, Equatable, Codable {
    /// 1-based run step.
    public var step: Int
    public var update: StepMetrics
    public var rollout: RolloutStats

    /// A record; see the properties.
    public init(step: Int, update: StepMetrics, rollout: RolloutStats) {
        self.step = step
        self.update = update
        self.rollout = rollout
    }
}

/// One entry of a run's event log (`events.jsonl`, and the API's Server-Sent Events): a state change, a step, an
/// evaluation, a checkpoint, or the end. Flat, with the payload of its kind set, so that it reads well as JSON.
public struct RunEvent: Sendable, Equatable, Codable {
    /// What happened.
    public enum Kind: String, Sendable, Codable {
        case state, step, evaluation, checkpoint, end
    }

    /// 0-based position in the run's log (an SSE event id).
    public var sequence: Int
    public var kind: Kind
    /// Unix time (seconds) from the run's clock.
    public var time: Double
    /// Run steps done when the event happened (0 before the first).
    public var step: Int
    /// `state` and `end`: the state entered (end: the final one) and its reason.
    public var state: RunState?
    public var reason: String?
    /// `step`: its record.
    public var record: RunStepRecord?
    /// `evaluation`: named held-out metrics.
    public var metrics: [String: Double]?
    /// `checkpoint`: its directory.
    public var checkpoint: String?

    /// An event with only the common fields; set the payload of its kind.
    public init(sequence: Int, kind: Kind, time: Double, step: Int) {
        self.sequence = sequence
        self.kind = kind
        self.time = time
        self.step = step
    }
}
