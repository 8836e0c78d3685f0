import Llama

/// The trainer part of a run config in request-friendly JSON (snake_case, defaults for everything):
/// `{"mode": "lora", "lora_rank": 16, "lora_alpha": 32, "lora_targets": ["q", "v"], "learning_rate": 1e-4,
/// "warmup_steps": 0, "schedule": "cosine", "min_learning_rate_ratio": 0, "weight_decay": 0.01,
/// "max_grad_norm": 1.0, "micro_batch_tokens": 2048}`. `trainerConfig` turns it into the trainer's own config.
public struct TrainerSettings: Sendable, Equatable, Codable {
    /// Full fine-tuning or LoRA adapters.
    public enum Mode: String, Sendable, Codable { case full, lora }

    public var mode: Mode
    public var loraRank: Int
    /// nil: 2 × rank.
    public var loraAlpha: Double?
    public var loraTargets: [LoRATarget]
    /// Peak learning rate; nil: 1e-6 for full fine-tuning (the paper's), 1e-4 for LoRA.
    public var learningRate: Double?
    public var warmupSteps: Int
    public var schedule: LearningRateSchedule.Decay
    public var minLearningRateRatio: Double
    public var weightDecay: Float
    /// Global gradient-norm clip; nil turns clipping off.
    public var maxGradNorm: Double?
    public var microBatchTokens: Int

    /// Settings with the defaults named above.
    public init(mode: Mode = .full, loraRank: Int = 16, loraAlpha: Double? = nil,
                loraTargets: [LoRATarget] = LoRATarget.allCases, learningRate: Double? = nil, warmupSteps: Int = 0,
                schedule: LearningRateSchedule.Decay = .constant, minLearningRateRatio: Double = 0,
                weightDecay: Float = 0.01, maxGradNorm: Double? = 1.0, microBatchTokens: Int = 2048) {
        self.mode = mode
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha
        self.loraTargets = loraTargets
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.schedule = schedule
        self.minLearningRateRatio = minLearningRateRatio
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.microBatchTokens = microBatchTokens
    }

    /// The trainer's config for a run of `totalSteps` steps (cosine ends there); every value checked, naming the field.
    public func trainerConfig(totalSteps: Int, seed: UInt64) throws -> TrainerConfig {
        func bad(_ field: String, _ why: String) -> AlignmentError { .invalidTraining("trainer.\(field): \(why)") }
        let trainingMode: TrainingMode
        switch mode {
        case .full:
            trainingMode = .full
        case .lora:
            guard (1...1024).contains(loraRank) else { throw bad("lora_rank", "must be in 1...1024, got \(loraRank)") }
            let alpha = loraAlpha ?? Double(2 * loraRank)
            guard alpha.isFinite, alpha > 0 else { throw bad("lora_alpha", "must be a finite number > 0, got \(alpha)") }
            guard !loraTargets.isEmpty, Set(loraTargets).count == loraTargets.count else {
                throw bad("lora_targets", "must list distinct targets among \(LoRATarget.allCases.map(\.rawValue))")
            }
            trainingMode = .lora(LoRAConfig(rank: loraRank, alpha: alpha, targets: loraTargets.sorted()))
        }
        let peak = learningRate ?? (mode == .lora ? 1e-4 : 1e-6)
        guard peak.isFinite, peak > 0, peak < 1 else { throw bad("learning_rate", "must be in (0, 1), got \(peak)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw bad("weight_decay", "must be >= 0, got \(weightDecay)") }
        if let clip = maxGradNorm, !(clip.isFinite && clip > 0) {
            throw bad("max_grad_norm", "must be a finite number > 0 (null turns clipping off), got \(clip)")
        }
        guard (1...1 << 20).contains(microBatchTokens) else {
            throw bad("micro_batch_tokens", "must be in 1...\(1 << 20), got \(microBatchTokens)")
        }
        let rates: LearningRateSchedule
        do {
            rates = try LearningRateSchedule(peak: peak, warmupSteps: warmupSteps, decay: schedule, totalSteps: totalSteps,
                                             minimumRatio: minLearningRateRatio)
        } catch { throw bad("schedule", "\(error)") }
        return TrainerConfig(mode: trainingMode, optimizer: AdamW.Config(weightDecay: weightDecay), schedule: rates,
                             maxGradNorm: maxGradNorm, microBatchTokens: microBatchTokens, seed: seed)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, loraRank = "lora_rank", loraAlpha = "lora_alpha", loraTargets = "lora_targets"
        case learningRate = "learning_rate", warmupSteps = "warmup_steps", schedule
        case minLearningRateRatio = "min_learning_rate_ratio", weightDecay = "weight_decay"
        case maxGradNorm = "max_grad_norm", microBatchTokens = "micro_batch_tokens"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue), in: "trainer")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainerSettings()
        self.init(mode: try c.decodeIfPresent(Mode.self, forKey: .mode) ?? d.mode,
                  loraRank: try c.decodeIfPresent(Int.self, forKey: .loraRank) ?? d.loraRank,
                  loraAlpha: try c.decodeIfPresent(Double.self, forKey: .loraAlpha),
                  loraTargets: try c.decodeIfPresent([LoRATarget].self, forKey: .loraTargets) ?? d.loraTargets,
                  learningRate: try c.decodeIfPresent(Double.self, forKey: .learningRate),
                  warmupSteps: try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps,
                  schedule: try c.decodeIfPresent(LearningRateSchedule.Decay.self, forKey: .schedule) ?? d.schedule,
                  minLearningRateRatio: try c.decodeIfPresent(Double.self, forKey: .minLearningRateRatio) ?? 0,
                  weightDecay: try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? d.weightDecay,
                  // An absent key keeps the 1.0 default; an explicit null turns clipping off.
                  maxGradNorm: c.contains(.maxGradNorm) ? try c.decodeIfPresent(Double.self, forKey: .maxGradNorm) : 1.0,
                  microBatchTokens: try c.decodeIfPresent(Int.self, forKey: .microBatchTokens) ?? d.microBatchTokens)
    }
}

extension TrainerSettings {
    /// Writes every field; a nil `max_grad_norm` as an explicit null (absent would mean the 1.0 default).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(loraRank, forKey: .loraRank)
        try c.encodeIfPresent(loraAlpha, forKey: .loraAlpha)
        try c.encode(loraTargets, forKey: .loraTargets)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(minLearningRateRatio, forKey: .minLearningRateRatio)
        try c.encode(weightDecay, forKey: .weightDecay)
        if let maxGradNorm { try c.encode(maxGradNorm, forKey: .maxGradNorm) } else { try c.encodeNil(forKey: .maxGradNorm) }
        try c.encode(microBatchTokens, forKey: .microBatchTokens)
    }
}

/// Refuses keys a strict decoder does not know (a misspelt setting must not silently fall back to its default).
func rejectUnknownKeys(_ decoder: any Decoder, known: [String], in path: String) throws {
    let c = try decoder.container(keyedBy: AnyKey.self)
    if let extra = c.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
        throw AlignmentError.invalidTraining("\(path): unknown field '\(extra)'")
    }
}
