import Alignment
import ArgumentParser
import Foundation
import LinearAlgebra
import Llama
import Tokenization

/// `grao train`: the offline training loop. Each step takes the next prompts of the dataset, samples a group
/// per prompt from the current policy, scores it (exact match on the reference), builds the objective's items,
/// and runs one update. One JSON line of metrics per step on stdout, a progress line on stderr, checkpoints
/// every K steps, resumable.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the model offline on a JSONL dataset.")

    enum Algorithm: String, ExpressibleByArgument, CaseIterable { case grao, grpo, dpo, sft }

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "grao, grpo, dpo or sft.") var algorithm: Algorithm = .grao
    @Option(help: "JSONL file: {\"prompt\"|\"messages\", \"reference\", \"rejected\" (DPO)} per line.") var data: String
    @Option(help: "Optimizer steps to run (in total, counting resumed ones).") var steps = 10
    @Option(help: "Samples per prompt (G).") var groupSize = 8
    @Option(help: "Prompts per step.") var promptsPerStep = 1
    @Option(help: "Maximum tokens per sample.") var maxTokens = 64
    @Option(help: "Sampling temperature.") var temperature: Float = 0.7
    @Option(help: "LoRA rank; 0 = full fine-tuning.") var loraRank = 0
    @Option(help: "LoRA alpha (default 2 × rank).") var loraAlpha: Double?
    @Option(help: "LoRA targets, comma-separated among q,k,v,o,gate,up,down.") var loraTargets = "q,k,v,o,gate,up,down"
    @Option(help: "Peak learning rate (default 1e-6 full, 1e-4 LoRA).") var lr: Double?
    @Option(help: "Warmup steps.") var warmup = 0
    @Option(help: "constant or cosine.") var schedule = "constant"
    @Option(help: "AdamW weight decay.") var weightDecay: Float = 0.01
    @Option(help: "Gradient-norm clip; 0 disables.") var maxGradNorm = 1.0
    @Option(help: "GRAO beta (imitation weight).") var beta = 0.5
    @Option(help: "GRAO lambda (alignment regularizer weight).") var lambda = 0.6
    @Option(help: "DPO beta.") var dpoBeta = 0.1
    @Option(help: "GRPO clip epsilon.") var clipEpsilon = 0.2
    @Option(help: "GRPO KL coefficient.") var klCoefficient = 0.04
    @Option(help: "Fed tokens per micro-batch.") var microBatchTokens = 2048
    @Option(help: "Save a checkpoint every K steps; 0 only at the end.") var checkpointEvery = 0
    @Option(help: "Directory for checkpoints (step-N subdirectories).") var output = "data/checkpoints/train"
    @Option(help: "Resume from this checkpoint directory.") var resume: String?
    @Option(help: "Seed for data order, sampling and LoRA init.") var seed: UInt64 = 0
    @Option(help: "OpenBLAS threads.") var threads = 2

    func validate() throws {
        guard steps >= 1, groupSize >= 1, promptsPerStep >= 1, maxTokens >= 1, microBatchTokens >= 1 else {
            throw ValidationError("steps, group size, prompts per step, max tokens and micro-batch tokens must be >= 1")
        }
        guard loraRank >= 0, checkpointEvery >= 0, warmup >= 0, maxGradNorm >= 0 else {
            throw ValidationError("lora rank, checkpoint interval, warmup and max grad norm must be >= 0")
        }
        guard ["constant", "cosine"].contains(schedule) else { throw ValidationError("schedule must be constant or cosine") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("temperature must be >= 0") }
    }

    func run() throws {
        BLAS.threadCount = threads
        let examples: [TrainingExample]
        do {
            examples = try TrainingDataset.load(path: data, requireReference: true, requireRejected: false)
        } catch let error as TrainingDataError { throw ValidationError(error.description) }
        let loaded = try modelOptions.loadModel()
        let baseHash = try SHA256.hex(ofFile: modelOptions.model)
        let mode: TrainingMode
        if loraRank > 0 {
            let targets = try loraTargets.split(separator: ",").map { name -> LoRATarget in
                guard let t = LoRATarget(rawValue: String(name)) else { throw ValidationError("unknown LoRA target '\(name)'") }
                return t
            }
            mode = .lora(LoRAConfig(rank: loraRank, alpha: loraAlpha ?? Double(2 * loraRank), targets: targets))
        } else {
            mode = .full
        }
        let peak = lr ?? (loraRank > 0 ? 1e-4 : 1e-6)
        let trainer: PolicyTrainer
        do {
            trainer = try PolicyTrainer(model: loaded.model, config: TrainerConfig(
                mode: mode, optimizer: AdamW.Config(weightDecay: weightDecay),
                schedule: try LearningRateSchedule(peak: peak, warmupSteps: warmup,
                                                   decay: schedule == "cosine" ? .cosine : .constant, totalSteps: steps),
                maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil, microBatchTokens: microBatchTokens, seed: seed))
            if let resume {
                let meta = try Checkpoint.load(into: trainer, from: resume, baseModelSHA256: baseHash)
                FileHandle.standardError.write(Data("resumed from \(resume) at step \(meta.step)\n".utf8))
            }
            if algorithm == .dpo || (algorithm == .grpo && klCoefficient != 0) { _ = try trainer.referencePolicy() }
        } catch let error as AlignmentError { throw ValidationError(error.description) }
        catch let error as LlamaError { throw ValidationError(error.description) }

        var order = Array(examples.indices)
        var random = SeededRandom(seed: seed)
        order.shuffle(using: &random)
        var cursor = (trainer.optimizer.step * promptsPerStep) % order.count
        var stepIndex = trainer.optimizer.step
        let builder = TrainItemBuilder(command: self, loaded: loaded, trainer: trainer, reward: ExactMatchReward())
        while stepIndex < steps {
            var batch: [TrainingExample] = []
            for _ in 0..<promptsPerStep {
                batch.append(examples[order[cursor]])
                cursor = (cursor + 1) % order.count
            }
            let attempt = stepIndex + trainer.skippedSteps
            let (items, rollout) = try builder.items(for: batch, seed: seed &+ UInt64(attempt))
            let metrics = try trainer.step(items)
            stepIndex = trainer.optimizer.step
            try printJSON(metricsLine(metrics, rollout: rollout))
            FileHandle.standardError.write(Data(String(
                format: "\rstep %d/%d  loss %.4f  reward %.3f  grad %.3g  %.1f s%@", metrics.step, steps, metrics.loss,
                rollout.rewardMean, metrics.gradNorm, metrics.seconds + rollout.seconds,
                metrics.applied ? "" : "  (skipped: \(metrics.skipReason ?? ""))").utf8))
            if metrics.applied, (checkpointEvery > 0 && stepIndex % checkpointEvery == 0) || stepIndex == steps {
                try save(trainer, baseHash: baseHash)
            }
        }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// Writes `output/step-N` atomically.
    func save(_ trainer: PolicyTrainer, baseHash: String) throws {
        let dir = (output as NSString).appendingPathComponent("step-\(trainer.optimizer.step)")
        try Checkpoint.save(trainer, to: dir, objective: algorithm.rawValue, baseModelSHA256: baseHash, hyperParameters: [
            "group_size": "\(groupSize)", "beta": "\(beta)", "lambda": "\(lambda)", "dpo_beta": "\(dpoBeta)",
            "clip_epsilon": "\(clipEpsilon)", "kl_coefficient": "\(klCoefficient)", "max_tokens": "\(maxTokens)",
            "temperature": "\(temperature)", "data": data, "seed": "\(seed)",
        ])
    }

    func metricsLine(_ m: StepMetrics, rollout: RolloutStats) -> [String: Any] {
        var line: [String: Any] = [
            "step": m.step, "applied": m.applied, "algorithm": algorithm.rawValue, "loss": m.loss, "grad_norm": m.gradNorm,
            "learning_rate": m.learningRate, "tokens": m.tokens, "fed_tokens": m.fedTokens, "sequences": m.sequences,
            "seconds": m.seconds + rollout.seconds, "update_seconds": m.seconds, "rollout_seconds": rollout.seconds,
            "reward_mean": rollout.rewardMean, "reward_std": rollout.rewardStd, "zero_variance_groups": rollout.zeroVarianceGroups,
            "mean_completion_length": rollout.meanCompletionLength, "reward": "exact_match",
        ]
        if let reason = m.skipReason { line["skip_reason"] = reason }
        for (k, v) in m.terms where k != "zero_variance_groups" { line[k] = v }
        return line
    }
}
