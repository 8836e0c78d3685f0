import Llama

/// Everything that defines a training run, as JSON (snake_case; every field but none required):
/// `{"algorithm": {"name": "grao"}, "trainer": {...TrainerSettings}, "steps": 20, "prompts_per_step": 1,
/// "group_size": 8, "max_tokens": 64, "temperature": 0.7, "top_k": 0, "top_p": 1, "min_p": 0, "stop": [],
/// "seed": 0, "eval_every": 0, "eval_at_start": true, "checkpoint_every": 0, "checkpoint_at_end": true,
/// "labels": {"dataset": "..."}}`. The dataset and the reward are the caller's (the API and the experiment hold
/// them); `labels` carries free-form strings about them into `config.json`.
public struct RunConfig: Sendable, Equatable, Codable {
    public var algorithm: AlgorithmConfig
    public var trainer: TrainerSettings
    /// Run steps: each is one rollout over `promptsPerStep` prompts and one update.
    public var steps: Int
    public var promptsPerStep: Int
    public var rollout: RolloutSettings
    /// Seeds the data order (`ExampleSchedule`), step k's sampling (`seed &+ k`) and the LoRA initialization.
    public var seed: UInt64
    /// Evaluate every K steps (0: only at the start and the end), when the run has an evaluation.
    public var evalEvery: Int
    /// Evaluate the starting weights before the first step (the baseline for improvement figures).
    public var evalAtStart: Bool
    /// Save a checkpoint every K steps (0: none on the way), when the run has a checkpoint directory.
    public var checkpointEvery: Int
    public var checkpointAtEnd: Bool
    public var labels: [String: String]

    /// Most steps a run may have: its event history is kept in memory.
    public static let maximumSteps = 100_000

    /// A config with the defaults named above.
    public init(algorithm: AlgorithmConfig = AlgorithmConfig(.grao), trainer: TrainerSettings = TrainerSettings(),
                steps: Int = 20, promptsPerStep: Int = 1, rollout: RolloutSettings = RolloutSettings(), seed: UInt64 = 0,
                evalEvery: Int = 0, evalAtStart: Bool = true, checkpointEvery: Int = 0, checkpointAtEnd: Bool = true,
                labels: [String: String] = [:]) {
        self.algorithm = algorithm
        self.trainer = trainer
        self.steps = steps
        self.promptsPerStep = promptsPerStep
        self.rollout = rollout
        self.seed = seed
        self.evalEvery = evalEvery
        self.evalAtStart = evalAtStart
        self.checkpointEvery = checkpointEvery
        self.checkpointAtEnd = checkpointAtEnd
        self.labels = labels
    }

    /// Checks every field, naming the one at fault; the trainer settings are checked by `trainerConfig()`.
    public func validate() throws {
        func bad(_ why: String) -> AlignmentError { .invalidTraining(why) }
        guard (1...Self.maximumSteps).contains(steps) else { throw bad("steps must be in 1...\(Self.maximumSteps), got \(steps)") }
        guard (1...1024).contains(promptsPerStep) else { throw bad("prompts_per_step must be in 1...1024, got \(promptsPerStep)") }
        guard evalEvery >= 0 else { throw bad("eval_every must be >= 0, got \(evalEvery)") }
        guard checkpointEvery >= 0 else { throw bad("checkpoint_every must be >= 0, got \(checkpointEvery)") }
        try algorithm.validate()
        try rollout.validate()
        _ = try trainerConfig()
    }

    /// The trainer's config for this run.
    public func trainerConfig() throws -> TrainerConfig { try trainer.trainerConfig(totalSteps: steps, seed: seed) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case algorithm, trainer, steps, promptsPerStep = "prompts_per_step", groupSize = "group_size"
        case maxTokens = "max_tokens", temperature, topK = "top_k", topP = "top_p", minP = "min_p", stop, seed
        case evalEvery = "eval_every", evalAtStart = "eval_at_start", checkpointEvery = "checkpoint_every"
        case checkpointAtEnd = "checkpoint_at_end", labels
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), in: "run config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RunConfig()
        let sampling = SamplingParameters(temperature: try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 0.7,
                                          topK: try c.decodeIfPresent(Int.self, forKey: .topK) ?? 0,
                                          topP: try c.decodeIfPresent(Float.self, forKey: .topP) ?? 1,
                                          minP: try c.decodeIfPresent(Float.self, forKey: .minP) ?? 0)
        self.init(algorithm: try c.decodeIfPresent(AlgorithmConfig.self, forKey: .algorithm) ?? d.algorithm,
                  trainer: try c.decodeIfPresent(TrainerSettings.self, forKey: .trainer) ?? d.trainer,
                  steps: try c.decodeIfPresent(Int.self, forKey: .steps) ?? d.steps,
                  promptsPerStep: try c.decodeIfPresent(Int.self, forKey: .promptsPerStep) ?? d.promptsPerStep,
                  rollout: RolloutSettings(groupSize: try c.decodeIfPresent(Int.self, forKey: .groupSize) ?? 8,
                                           maxTokens: try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? 64,
                                           sampling: sampling, stop: try c.decodeIfPresent([String].self, forKey: .stop) ?? []),
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0,
                  evalEvery: try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? 0,
                  evalAtStart: try c.decodeIfPresent(Bool.self, forKey: .evalAtStart) ?? true,
                  checkpointEvery: try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 0,
                  checkpointAtEnd: try c.decodeIfPresent(Bool.self, forKey: .checkpointAtEnd) ?? true,
                  labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:])
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(algorithm, forKey: .algorithm)
        try c.encode(trainer, forKey: .trainer)
        try c.encode(steps, forKey: .steps)
        try c.encode(promptsPerStep, forKey: .promptsPerStep)
        try c.encode(rollout.groupSize, forKey: .groupSize)
        try c.encode(rollout.maxTokens, forKey: .maxTokens)
        try c.encode(rollout.sampling.temperature, forKey: .temperature)
        try c.encode(rollout.sampling.topK, forKey: .topK)
        try c.encode(rollout.sampling.topP, forKey: .topP)
        try c.encode(rollout.sampling.minP, forKey: .minP)
        try c.encode(rollout.stop, forKey: .stop)
        try c.encode(seed, forKey: .seed)
        try c.encode(evalEvery, forKey: .evalEvery)
        try c.encode(evalAtStart, forKey: .evalAtStart)
        try c.encode(checkpointEvery, forKey: .checkpointEvery)
        try c.encode(checkpointAtEnd, forKey: .checkpointAtEnd)
        try c.encode(labels, forKey: .labels)
    }
}
