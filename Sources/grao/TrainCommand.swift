import Alignment
import API
import ArgumentParser
import Foundation
import LinearAlgebra
import Llama
import Rewards
import Tokenization

/// `grao train`: the offline training loop. Each step takes the next prompts of the dataset, samples a group
/// per prompt from the current policy (Alignment's `Rollout`), scores it with a reward spec (Rewards; default exact
/// match on the reference), builds the objective's items and runs one update. Failed rewards are masked and
/// counted, never read as 0. One JSON line of metrics per step on stdout, a progress line on stderr, checkpoints
/// every K steps, resumable.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the model offline on a JSONL dataset.")

    /// Exact match on the reference after whitespace normalization: the reward when none is given.
    static let defaultReward = #"{"type": "string_check", "operation": "eq", "name": "exact_match"}"#

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "grao, grpo, dpo or sft.") var algorithm: AlgorithmConfig.Name = .grao
    @Option(help: "JSONL file: {\"prompt\"|\"messages\", \"reference\", \"rejected\" (DPO), \"metadata\"} per line.") var data: String
    @Option(help: "Reward spec: inline JSON or @file, as `grao score --reward` takes (default: exact match on the reference).")
    var reward: String = TrainCommand.defaultReward
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
    @Option(help: "Seed for data order, sampling, LoRA init and judge retry jitter.") var seed: UInt64 = 0
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

    /// The objective and its hyper-parameters from the flags.
    func algorithmConfig() throws -> AlgorithmConfig {
        let config = AlgorithmConfig(algorithm, grao: GRAOObjective.Config(beta: beta, lambda: lambda),
                                     grpo: GRPOObjective.Config(clipEpsilon: clipEpsilon, klCoefficient: klCoefficient),
                                     dpo: DPOObjective.Config(beta: dpoBeta))
        do { try config.validate() } catch let error as AlignmentError { throw ValidationError(error.description) }
        return config
    }

    func run() async throws {
        BLAS.threadCount = threads
        let examples: [TrainingExample]
        do {
            examples = try TrainingDataset.load(path: data, requireReference: true, requireRejected: false)
        } catch let error as TrainingDataError { throw ValidationError(error.description) }
        // Spec errors are reported before the model loads, unless the spec judges with the model itself.
        let specText = try RewardSpecLoader.text(of: reward)
        let judgesWithModel = RewardSpec.needsLikelihoodScorer(json: specText)
        var rewardModel = judgesWithModel ? nil : try RewardSpecLoader.make(specText, seed: seed, label: "grao.train")
        let loaded = try modelOptions.loadModel()
        if judgesWithModel {
            // The judge reads the loaded weights: with LoRA the frozen base, with full fine-tuning the weights being trained.
            let scorer: ModelLikelihoodScorer
            do { scorer = try ModelLikelihoodScorer(loaded: loaded) } catch {
                throw ValidationError("\(modelOptions.model): \(error)")
            }
            rewardModel = try RewardSpecLoader.make(specText, seed: seed, label: "grao.train", scorer: scorer)
        }
        guard let rewardModel else { throw ValidationError("no reward model") }
        let baseHash = try SHA256.hex(ofFile: modelOptions.model)
        let template: ChatTemplate
        do { template = try ChatTemplate(gguf: loaded.file) } catch { throw ValidationError("chat template: \(error)") }
        let trainer: PolicyTrainer
        let rollout: Rollout
        do {
            rollout = try Rollout(algorithm: try algorithmConfig(),
                                  settings: RolloutSettings(groupSize: groupSize, maxTokens: maxTokens,
                                                            sampling: SamplingParameters(temperature: temperature)),
                                  codec: ChatRolloutCodec(tokenizer: loaded.tokenizer, template: template))
            trainer = try PolicyTrainer(model: loaded.model, config: try trainerConfig())
            if let resume {
                let meta = try Checkpoint.load(into: trainer, from: resume, baseModelSHA256: baseHash)
                FileHandle.standardError.write(Data("resumed from \(resume) at step \(meta.step)\n".utf8))
            }
            if rollout.algorithm.needsReferencePolicy { _ = try trainer.referencePolicy() }
        } catch let error as AlignmentError { throw ValidationError(error.description) }
        catch let error as LlamaError { throw ValidationError(error.description) }

        let schedule = try ExampleSchedule(count: examples.count, perStep: promptsPerStep, seed: seed)
        var stepIndex = trainer.optimizer.step
        while stepIndex < steps {
            let start = ContinuousClock.now
            let batch = schedule.batch(step: stepIndex).map { examples[$0] }
            let attempt = stepIndex + trainer.skippedSteps
            let groups = try rollout.sample(batch, policy: trainer.policy, seed: seed &+ UInt64(attempt))
            let queries = rollout.queries(for: groups)
            let outcomes = await rewardModel.score(queries.map {
                RewardItem(prompt: $0.prompt, completion: $0.completion, reference: $0.reference, metadata: $0.metadata)
            })
            guard outcomes.count == queries.count else {
                throw ValidationError("reward \(rewardModel.name) returned \(outcomes.count) outcomes for \(queries.count) items")
            }
            var failures: [String: Int] = [:]
            for case .failure(let f) in outcomes { failures[f.kind.rawValue, default: 0] += 1 }
            let scored = try rollout.scored(groups, rewards: outcomes.map(\.value))
            var built = try rollout.items(scored, trainer: trainer)
            built.stats.seconds = start.elapsedSeconds
            let metrics = try trainer.step(built.items)
            stepIndex = trainer.optimizer.step
            try printJSON(metricsLine(metrics, rollout: built.stats, rewardName: rewardModel.name, failures: failures))
            FileHandle.standardError.write(Data(String(
                format: "\rstep %d/%d  loss %.4f  reward %.3f  masked %d  grad %.3g  %.1f s%@", metrics.step, steps,
                metrics.loss, built.stats.rewardMean ?? .nan, built.stats.maskedSamples, metrics.gradNorm,
                metrics.seconds + built.stats.seconds,
                metrics.applied ? "" : "  (skipped: \(metrics.skipReason ?? ""))").utf8))
            if metrics.applied, (checkpointEvery > 0 && stepIndex % checkpointEvery == 0) || stepIndex == steps {
                try save(trainer, baseHash: baseHash)
            }
        }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    /// Trainer settings from the flags.
    func trainerConfig() throws -> TrainerConfig {
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
        return TrainerConfig(
            mode: mode, optimizer: AdamW.Config(weightDecay: weightDecay),
            schedule: try LearningRateSchedule(peak: peak, warmupSteps: warmup,
                                               decay: schedule == "cosine" ? .cosine : .constant, totalSteps: steps),
            maxGradNorm: maxGradNorm > 0 ? maxGradNorm : nil, microBatchTokens: microBatchTokens, seed: seed)
    }

    /// Writes `output/step-N` atomically.
    func save(_ trainer: PolicyTrainer, baseHash: String) throws {
        let dir = (output as NSString).appendingPathComponent("step-\(trainer.optimizer.step)")
        try Checkpoint.save(trainer, to: dir, objective: algorithm.rawValue, baseModelSHA256: baseHash, hyperParameters: [
            "group_size": "\(groupSize)", "beta": "\(beta)", "lambda": "\(lambda)", "dpo_beta": "\(dpoBeta)",
            "clip_epsilon": "\(clipEpsilon)", "kl_coefficient": "\(klCoefficient)", "max_tokens": "\(maxTokens)",
            "temperature": "\(temperature)", "data": data, "seed": "\(seed)", "reward": reward,
        ])
    }

    func metricsLine(_ m: StepMetrics, rollout: RolloutStats, rewardName: String, failures: [String: Int]) -> [String: Any] {
        var line: [String: Any] = [
            "step": m.step, "applied": m.applied, "algorithm": algorithm.rawValue, "loss": m.loss, "grad_norm": m.gradNorm,
            "learning_rate": m.learningRate, "tokens": m.tokens, "fed_tokens": m.fedTokens, "sequences": m.sequences,
            "seconds": m.seconds + rollout.seconds, "update_seconds": m.seconds, "rollout_seconds": rollout.seconds,
            "reward_mean": rollout.rewardMean ?? NSNull(), "reward_std": rollout.rewardStd ?? NSNull(),
            "zero_variance_groups": rollout.zeroVarianceGroups, "masked_samples": rollout.maskedSamples,
            "reference_reward_failures": rollout.referenceRewardFailures, "reward_failures": failures,
            "mean_completion_length": rollout.meanCompletionLength ?? NSNull(), "reward": rewardName,
        ]
        if let reason = m.skipReason { line["skip_reason"] = reason }
        for (k, v) in m.terms where !["zero_variance_groups", "masked_samples"].contains(k) { line[k] = v }
        return line
    }
}

extension AlgorithmConfig.Name: ExpressibleByArgument {}
