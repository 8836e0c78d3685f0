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
/// cancelled; interrupted is set by the store) with an injected clock. Heavy work goes through the executor;
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

    /// Drives the run to its end and returns the final status. Only a queued run starts; otherwise the
    /// current status is returned.
    @discardableResult
    public func run() async -> RunStatus {
        guard status.state == .queued else { return status }
        do {
            try enter(.running, reason: nil)
            try await loop()
            try enter(cancelRequested ? .cancelled : .completed, reason: nil)
        } catch {
            let reason = (error as? AlignmentError)?.description ?? "\(error)"
            try? enter(.failed, reason: reason)
        }
        emitEnd()
        return status
    }

    func loop() async throws {
        let schedule = try ExampleSchedule(count: examples.count, perStep: config.promptsPerStep, seed: config.seed)
        let trainer = self.trainer, rollout = self.rollout
        if config.algorithm.needsReferencePolicy {
            try await executor.run { _ = try trainer.referencePolicy() }
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
        return !cancelRequested
    }

    func evaluate(at step: Int) async throws {
        guard let evaluation else { return }
        let metrics: [String: Double]
        do { metrics = try await evaluation(step) } catch {
            throw AlignmentError.invalidTraining("evaluation at step \(step): \(error)")
        }
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
        status.lastCheckpoint = directory
        var event = makeEvent(.checkpoint)
        event.checkpoint = directory
        try emit(event)
    }
}
