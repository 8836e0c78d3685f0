import Alignment
import Foundation
import HTTP
import Llama

/// The trainer a step runs with: `"trainer": {"mode": "full" | "lora", "lora_rank", "lora_alpha", "lora_targets",
/// "learning_rate", "warmup_steps", "weight_decay", "max_grad_norm" (0 = off), "micro_batch_tokens", "seed"}`.
/// The first training request (or checkpoint load) creates the trainer; its optimizer state then carries over
/// from step to step, so a later request that asks for different settings is refused (409) rather than
/// silently training with other ones.
struct TrainStepSettings: Equatable {
    /// The trainer configuration these settings make.
    var config: TrainerConfig
    /// Whether the request gave settings at all (without, an existing trainer is used as it is).
    var given: Bool

    /// Reads the optional `trainer` object of `body`.
    static func read(_ body: JSONObjectReader) throws -> TrainStepSettings {
        guard let t = try body.optionalObject("trainer") else { return TrainStepSettings(config: try make(), given: false) }
        let mode = try t.optionalString("mode") ?? (t.has("lora_rank") ? "lora" : "full")
        guard mode == "full" || mode == "lora" else { throw t.invalid("mode", "must be full or lora, got '\(mode.prefix(40))'") }
        var lora: LoRAConfig?
        if mode == "lora" {
            let rank = try t.optionalInt("lora_rank", in: 1...256) ?? 8
            let alpha = try t.optionalDouble("lora_alpha", in: 1e-6...1e6) ?? Double(2 * rank)
            var targets = LoRATarget.allCases
            if let names = try t.optionalStrings("lora_targets", maxCount: LoRATarget.allCases.count) {
                targets = []
                for (i, name) in names.enumerated() {
                    guard let target = LoRATarget(rawValue: name) else {
                        throw t.invalid("lora_targets[\(i)]", "must be one of \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    if targets.contains(target) { throw t.invalid("lora_targets[\(i)]", "repeats '\(name)'") }
                    targets.append(target)
                }
                if targets.isEmpty { throw t.invalid("lora_targets", "must not be empty") }
            }
            lora = LoRAConfig(rank: rank, alpha: alpha, targets: targets.sorted())
        } else {
            for key in ["lora_rank", "lora_alpha", "lora_targets"] where t.has(key) {
                throw t.invalid(key, "applies to mode lora only")
            }
        }
        let config = try make(
            lora: lora, learningRate: try t.optionalDouble("learning_rate", in: 1e-12...1),
            warmup: try t.optionalInt("warmup_steps", in: 0...1_000_000) ?? 0,
            weightDecay: try t.optionalDouble("weight_decay", in: 0...10) ?? 0.01,
            maxGradNorm: try t.optionalDouble("max_grad_norm", in: 0...1e6) ?? 1,
            microBatchTokens: try t.optionalInt("micro_batch_tokens", in: 16...1 << 20) ?? 2048,
            seed: UInt64(try t.optionalInt("seed", in: 0...GenerationOptions.maxSeed) ?? 0))
        try t.finish()
        return TrainStepSettings(config: config, given: true)
    }

    /// A trainer configuration: the paper's AdamW (lr 1e-6 full, 1e-4 LoRA unless given), constant schedule.
    static func make(lora: LoRAConfig? = nil, learningRate: Double? = nil, warmup: Int = 0, weightDecay: Double = 0.01,
                     maxGradNorm: Double = 1, microBatchTokens: Int = 2048, seed: UInt64 = 0) throws -> TrainerConfig {
        let peak = learningRate ?? (lora == nil ? 1e-6 : 1e-4)
        let schedule: LearningRateSchedule
        do { schedule = try LearningRateSchedule(peak: peak, warmupSteps: warmup) } catch {
            throw StoreError.invalid("trainer.learning_rate", "\(error)")
        }
        return TrainerConfig(mode: lora.map { .lora($0) } ?? .full, optimizer: AdamW.Config(weightDecay: Float(weightDecay)),
                             schedule: schedule, maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil,
                             microBatchTokens: microBatchTokens, seed: seed)
    }
}

extension EngineContext {
    /// Key of the base model's sha256 in `extensions` (hashed once, on first need).
    static let baseHashKey = "grao.base_model_sha256"
    /// Key of the last step's algorithm (saved into checkpoint metadata).
    static let lastAlgorithmKey = "grao.last_algorithm"

    /// sha256 of the GGUF file the model came from: checkpoints record it and refuse other base models.
    func baseModelSHA256() throws -> String {
        if let hash = extensions[Self.baseHashKey] as? String { return hash }
        let hash = try SHA256.hex(ofFile: info.path)
        extensions[Self.baseHashKey] = hash
        return hash
    }

    /// The trainer for a step with `settings`: the existing one when compatible, else a new one (the first
    /// training request decides). Returns whether it was created, so a failing request can undo that.
    func trainer(for settings: TrainStepSettings) throws -> (trainer: PolicyTrainer, created: Bool) {
        if let trainer {
            if settings.given, !Self.sameOptimization(settings.config, trainer.config) {
                throw StoreError.conflict("trainer_configured",
                    "field 'trainer': the trainer already exists with other settings (\(Self.describe(trainer.config))); "
                    + "omit 'trainer' to keep training with them")
            }
            return (trainer, false)
        }
        let made = try PolicyTrainer(model: model, config: settings.config)
        trainer = made
        return (made, true)
    }

    /// Whether two trainer configs optimize the same way, so one trainer can serve both: the same mode, optimizer,
    /// clipping and micro-batching, and the same learning-rate curve (the step count matters only to a cosine
    /// decay; the seed only to adapters not made yet).
    static func sameOptimization(_ a: TrainerConfig, _ b: TrainerConfig) -> Bool {
        var x = a, y = b
        x.seed = 0
        y.seed = 0
        if x.schedule.decay == .constant, y.schedule.decay == .constant { x.schedule.totalSteps = y.schedule.totalSteps }
        return x == y
    }

    /// A short description of trainer settings for messages.
    static func describe(_ c: TrainerConfig) -> String {
        var parts: [String] = []
        switch c.mode {
        case .full: parts.append("mode full")
        case .lora(let l): parts.append("mode lora, lora_rank \(l.rank), lora_alpha \(l.alpha), lora_targets \(l.targets.map(\.rawValue))")
        }
        parts.append("learning_rate \(c.schedule.peak)")
        parts.append("weight_decay \(c.optimizer.weightDecay)")
        parts.append("max_grad_norm \(c.maxGradNorm.map { "\($0)" } ?? "off")")
        parts.append("micro_batch_tokens \(c.microBatchTokens)")
        return parts.joined(separator: ", ")
    }
}
