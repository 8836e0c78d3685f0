import Foundation

/// Scores reward queries for a run: one value per query, in order, `nil` for a failed reward (masked). Throwing
/// fails the run (the reward as a whole is unusable, e.g. misconfigured). Alignment defines the shape; the
/// caller wires the Rewards module in (DESIGN.md §4).
public typealias RunRewardFunction = @Sendable (_ queries: [RewardQuery]) async throws -> [Double?]

/// Evaluates the current policy (e.g. on a held-out set, see `HeldOutEvaluation`) after `step` run steps and
/// returns named metrics. Throwing fails the run.
public typealias RunEvaluationFunction = @Sendable (_ step: Int) async throws -> [String: Double]

/// Where and for which base model a run writes its checkpoints (`directory/step-N`).
public struct RunCheckpoints: Sendable, Equatable {
    public var directory: String
    public var baseModelSHA256: String

    /// Checkpoint settings; see the properties.
    public init(directory: String, baseModelSHA256: String) {
        self.directory = directory
        self.baseModelSHA256 = baseModelSHA256
    }
}

/// Persists a run's events and status as they happen (`RunJournal` writes them under the run store).
public protocol RunRecorder: Sendable {
    /// Called for every event, in order, before subscribers see it, with the status after the event.
    func record(_ event: RunEvent, status: RunStatus) throws
}

/// One asynchronous training run: rollout -> reward -> update for `config.steps` steps over a dataset, with
/// evaluations and checkpoints on the way, as a small state machine (queued, running, completed, failed,
/// cancelled, interrupted: by `interrupt(reason:)` or an executor's `RunInterruption`, else by the store on reopening
/// after a crash) with an injected clock. Heavy work goes through the executor;
/// rewards and evaluations are injected closures. Every event is recorded (when a recorder is given) and
/// broadcast to subscribers; a late subscriber gets the history first. Cancellation takes effect between steps.
public actor TrainingRun {
    public nonisolated let id: String
    public nonisolated let config: RunConfig
    public internal(set) var status: RunStatus
    /// Every event so far, in order.
    public internal(set) var history: [RunEvent] = []

    let trainer: PolicyTrainer
    let rollout: Rollout
    let examples: [TrainingExample]
    let reward: RunRewardFunction
    let evaluation: RunEvaluationFunction?
    let executor: any ModelExecutor
    let clock: @Sendable () -> Date
    let recorder: (any RunRecorder)?
    let checkpoints: RunCheckpoints?
    var cancelRequested = false
    var subscribers: [UUID: AsyncStream<RunEvent>.Continuation] = [:]

    /// A queued run. `trainer` must have been made from `config.trainerConfig()` (or a compatible one); the run
    /// freezes its reference policy before the first step when the algorithm needs one.
    public init(id: String, config: RunConfig, trainer: PolicyTrainer, codec: any RolloutCodec,
                examples: [TrainingExample], reward: @escaping RunRewardFunction,
                evaluation: RunEvaluationFunction? = nil, executor: any ModelExecutor = InlineExecutor(),
                clock: @escaping @Sendable () -> Date = { Date() }, recorder: (any RunRecorder)? = nil,
                checkpoints: RunCheckpoints? = nil) throws {
        try config.validate()
        guard !examples.isEmpty else { throw AlignmentError.invalidTraining("run \(id): the dataset has no examples") }
        let rollout = try Rollout(algorithm: config.algorithm, settings: config.rollout, codec: codec)
        for (i, example) in examples.enumerated() { _ = try rollout.checkExample(example, index: i) }
        self.id = id
        self.config = config
        self.trainer = trainer
        self.rollout = rollout
        self.examples = examples
        self.reward = reward
        self.evaluation = evaluation
        self.executor = executor
        self.clock = clock
        self.recorder = recorder
        self.checkpoints = checkpoints
        self.status = RunStatus(id: id, totalSteps: config.steps, createdAt: clock().timeIntervalSince1970)
    }

    /// Asks the run to stop: a queued run is cancelled at once, a running one before its next step.
    public func cancel() {
        if status.state == .queued {
            try? enter(.cancelled, reason: nil)
            emitEnd()
        } else if status.state == .running {
            cancelRequested = true
        }
    }

    /// Ends the run at once because its process is going away (the server is stopping): a queued or running run
    /// is recorded `interrupted` with `reason`, and its end event goes out, before this returns. Work in flight on
    /// the executor is abandoned: when it returns, nothing of it is recorded (a step that finishes after the
    /// interruption is not in the log, and no later step starts). Metrics and checkpoints written so far stay.
    /// A finished run is left as it is.
    public func interrupt(reason: String) {
        guard !status.state.isTerminal else { return }
        try? enter(.interrupted, reason: reason)  // a recorder failure cannot stop the interruption
        emitEnd()
    }

    /// Drives the run to its end and returns the final status. Only a queued run starts; otherwise the
    /// current status is returned.
    @discardableResult
    public func run() async -> RunStatus {
        guard status.state == .queued else { return status }
        do {
            try enter(.running, reason: nil)
            try await loop()
            if status.state.isTerminal { return status }  // interrupted while the last work was in flight
            try enter(cancelRequested ? .cancelled : .completed, reason: nil)
        } catch {
            if status.state.isTerminal { return status }  // interrupted: the error is that of abandoned work
            if let interruption = error as? RunInterruption {
                try? enter(.interrupted, reason: interruption.reason)
            } else {
                try? enter(.failed, reason: (error as? AlignmentError)?.description ?? "\(error)")
            }
        }
        emitEnd()
        return status
    }

    /// Throws once the run has been interrupted, so that the loop records nothing after its end event.
    func ensureRunning() throws {
        if status.state.isTerminal { throw RunInterruption(reason: status.reason ?? "interrupted") }
    }

    func loop() async throws {
        let schedule = try ExampleSchedule(count: examples.count, perStep: config.promptsPerStep, seed: config.seed)
        let trainer = self.trainer, rollout = self.rollout
        if config.algorithm.needsReferencePolicy {
            try await executor.run { _ = try trainer.referencePolicy() }
            try ensureRunning()
        }
        var evaluatedAt = -1, savedAt = -1
        if config.evalAtStart, evaluation != nil {
            try await evaluate(at: 0)
            evaluatedAt = 0
        }
        for k in 0..<config.steps {
            if cancelRequested || Task.isCancelled {
                cancelRequested = true
                return
            }
            let batch = schedule.batch(step: k).map { examples[$0] }
            let result: RolloutStepResult?
            do {
                result = try await rollout.step(batch, trainer: trainer, seed: config.seed &+ UInt64(k), executor: executor,
                                                reward: reward, proceed: { [weak self] in await self?.shouldProceed() ?? false })
            } catch let AlignmentError.invalidTraining(why) {
                throw AlignmentError.invalidTraining("step \(k + 1): \(why)")
            }
            try ensureRunning()
            // nil: cancelled while the rewards were computed; nothing of this step touched the weights.
            guard let result else { return }
            let record = RunStepRecord(step: k + 1, update: result.metrics, rollout: result.stats)
            status.step = k + 1
            status.lastStep = record
            var event = makeEvent(.step)
            event.record = record
            try emit(event)
            if config.evalEvery > 0, (k + 1) % config.evalEvery == 0, evaluation != nil {
                try await evaluate(at: k + 1)
                evaluatedAt = k + 1
            }
            if config.checkpointEvery > 0, (k + 1) % config.checkpointEvery == 0, checkpoints != nil {
                try await saveCheckpoint(at: k + 1)
                savedAt = k + 1
            }
        }
        if evaluation != nil, evaluatedAt != config.steps { try await evaluate(at: config.steps) }
        if config.checkpointAtEnd, checkpoints != nil, savedAt != config.steps { try await saveCheckpoint(at: config.steps) }
    }

    /// Whether a step whose rewards just arrived may update the weights.
    func shouldProceed() -> Bool {
        if Task.isCancelled { cancelRequested = true }
        return !cancelRequested && !status.state.isTerminal
    }

    func evaluate(at step: Int) async throws {
        guard let evaluation else { return }
        let metrics: [String: Double]
        do { metrics = try await evaluation(step) } catch let interruption as RunInterruption {
            throw interruption
        } catch {
            throw AlignmentError.invalidTraining("evaluation at step \(step): \(error)")
        }
        try ensureRunning()
        status.lastEvaluation = metrics
        var event = makeEvent(.evaluation)
        event.metrics = metrics
        try emit(event)
    }

    func saveCheckpoint(at step: Int) async throws {
        guard let checkpoints else { return }
        let directory = (checkpoints.directory as NSString).appendingPathComponent("step-\(step)")
        let trainer = self.trainer, objective = config.algorithm.name.rawValue
        let hyper = ["run_id": id, "run_step": "\(step)", "seed": "\(config.seed)",
                     "group_size": "\(config.rollout.groupSize)"]
        try await executor.run {
            try Checkpoint.save(trainer, to: directory, objective: objective,
                                baseModelSHA256: checkpoints.baseModelSHA256, hyperParameters: hyper)
        }
        try ensureRunning()
        status.lastCheckpoint = directory
        var event = makeEvent(.checkpoint)
        event.checkpoint = directory
        try emit(event)
    }
}
