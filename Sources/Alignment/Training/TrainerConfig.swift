import Llama

/// Which weights an update changes.
public enum TrainingMode: Sendable, Equatable, Codable {
    /// Every parameter (embeddings, norms, projections; a tied head through the embedding).
    case full
    /// Only LoRA adapters on the chosen projections; the base stays frozen and serves as the reference policy.
    case lora(LoRAConfig)
}

/// Everything that decides how a step updates the model.
public struct TrainerConfig: Sendable, Equatable, Codable {
    public var mode: TrainingMode
    public var optimizer: AdamW.Config
    public var schedule: LearningRateSchedule
    /// Global gradient-norm clip (the paper's 1.0); nil turns clipping off.
    public var maxGradNorm: Double?
    /// Most fed tokens per micro-batch (activation memory grows with it); a larger item gets one of its own.
    public var microBatchTokens: Int
    /// Target rows per output-layer chunk (logits memory: chunkRows × V floats).
    public var chunkRows: Int
    /// Seed of the LoRA A initialization.
    public var seed: UInt64

    public init(mode: TrainingMode = .full, optimizer: AdamW.Config = .init(), schedule: LearningRateSchedule,
                maxGradNorm: Double? = 1.0, microBatchTokens: Int = 2048, chunkRows: Int = 256, seed: UInt64 = 0) {
        self.mode = mode
        self.optimizer = optimizer
        self.schedule = schedule
        self.maxGradNorm = maxGradNorm
        self.microBatchTokens = microBatchTokens
        self.chunkRows = chunkRows
        self.seed = seed
    }
}

/// What one update step did, for logs and the API (one JSON line per step).
public struct StepMetrics: Sendable, Codable, Equatable {
    /// Optimizer steps applied so far, this one included when applied.
    public var step: Int
    /// False when the step was skipped (non-finite loss or gradient): weights and optimizer state untouched.
    public var applied: Bool
    public var skipReason: String?
    /// Σ over items of their scaled losses (the step loss).
    public var loss: Double
    /// Sums of the objectives' named terms (loss terms scaled like the loss; counts summed).
    public var terms: [String: Double]
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    public var learningRate: Double
    public var items: Int
    public var sequences: Int
    /// Completion tokens scored (targets).
    public var tokens: Int
    /// Tokens fed through the model (prompts included).
    public var fedTokens: Int
    public var microBatches: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case step, applied, skipReason = "skip_reason", loss, terms, gradNorm = "grad_norm", learningRate = "learning_rate"
        case items, sequences, tokens, fedTokens = "fed_tokens", microBatches = "micro_batches", seconds
    }
}
