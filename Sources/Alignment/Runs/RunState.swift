/// The lifecycle of a training run: queued -> running -> completed | failed | cancelled, or interrupted when the
/// process stopped while it was queued or running (found so when the store is reopened).
public enum RunState: String, Sendable, Codable, CaseIterable {
    case queued, running, completed, failed, cancelled, interrupted

    /// No transition leaves a terminal state.
    public var isTerminal: Bool { ![.queued, .running].contains(self) }

    /// The transitions the state machine allows.
    public func canTransition(to next: RunState) -> Bool {
        switch (self, next) {
        case (.queued, .running), (.queued, .cancelled), (.queued, .failed), (.queued, .interrupted): return true
        case (.running, .completed), (.running, .failed), (.running, .cancelled), (.running, .interrupted): return true
        default: return false
        }
    }
}

/// A run's current status, as `status.json` holds it and `GET /v1/runs/{id}` shows it.
public struct RunStatus: Sendable, Equatable, Codable {
    public var id: String
    public var state: RunState
    /// Why the run failed or was interrupted; nil otherwise.
    public var reason: String?
    /// Run steps done (each is one rollout and one update attempt, applied or skipped).
    public var step: Int
    public var totalSteps: Int
    /// Unix times (seconds) from the run's clock.
    public var createdAt: Double
    public var startedAt: Double?
    public var endedAt: Double?
    /// The last step's record and the last evaluation's metrics, for a quick look without the event log.
    public var lastStep: RunStepRecord?
    public var lastEvaluation: [String: Double]?
    /// Directory of the newest checkpoint written by the run.
    public var lastCheckpoint: String?

    /// A queued run's status.
    public init(id: String, totalSteps: Int, createdAt: Double) {
        self.id = id
        self.state = .queued
        self.step = 0
        self.totalSteps = totalSteps
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, state, reason, step, totalSteps = "total_steps", createdAt = "created_at", startedAt = "started_at"
        case endedAt = "ended_at", lastStep = "last_step", lastEvaluation = "last_evaluation"
        case lastCheckpoint = "last_checkpoint"
    }
}
