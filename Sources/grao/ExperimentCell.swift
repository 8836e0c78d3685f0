import Alignment
import Foundation
import Llama
import Rewards

/// One (method, seed) cell of an experiment: a fresh LoRA trainer on the shared base weights (the adapters' A is
/// seeded by the cell's seed, B starts at zero, so every method starts from exactly the base model), `steps`
/// updates on the seed's example stream, and a held-out evaluation every `eval_every` steps and at the end.
/// Writes `cells/<method>-seed<N>.jsonl` (a line per step and per evaluation) while it runs, and
/// `cells/<method>-seed<N>.json` (the cell's result) atomically when it is done.
struct ExperimentCell {
    let config: ExperimentConfig
    let method: ExperimentConfig.Method
    let seed: UInt64
    let loaded: LoadedModel
    let codec: ChatRolloutCodec
    /// The seed's example order, shared by every method (the same prompts, in the same steps).
    let stream: [ExperimentExample]
    let rewards: [any RewardModel]
    let evaluator: Evaluator
    /// The starting model's evaluation (step 0 of every cell, and NAG's "before").
    let baseline: [EvaluatedCompletion]
    let directory: String
    let progress: (String) -> Void

    var name: String { "\(method.name)-seed\(seed)" }
    var logPath: String { (directory as NSString).appendingPathComponent("\(name).jsonl") }
    var resultPath: String { (directory as NSString).appendingPathComponent("\(name).json") }

    func run() async throws -> [String: Any] {
        let cellStart = ContinuousClock.now
        let schedule = try LearningRateSchedule(peak: config.learningRate, warmupSteps: config.warmup,
                                                decay: config.cosine ? .cosine : .constant, totalSteps: config.steps)
        let trainer = try PolicyTrainer(model: loaded.model, config: TrainerConfig(
            mode: .lora(config.lora), optimizer: AdamW.Config(weightDecay: config.weightDecay), schedule: schedule,
            maxGradNorm: config.maxGradNorm, microBatchTokens: config.microBatchTokens, seed: seed))
        let builder = try ExperimentStepBuilder(method: method, config: config, codec: codec, trainer: trainer,
                                                rewards: rewards)
        let log = try JSONLLog(path: logPath)
        let header: [String: Any] = ["method": method.name, "algorithm": method.algorithm.rawValue, "seed": seed]
        var evals: [[String: Any]] = []
        let step0 = Self.evalObject(step: 0, items: baseline, baseline: baseline, seconds: 0)
        try log.append(header.merging(step0) { a, _ in a })
        evals.append(step0)

        var totals = (generated: 0, trainTokens: 0, rolloutSeconds: 0.0, updateSeconds: 0.0, evalSeconds: 0.0, evalTokens: 0)
        var termSums: [String: Double] = [:]
        for step in 1...config.steps {
            let batch = (0..<config.promptsPerStep).map { stream[((step - 1) * config.promptsPerStep + $0) % stream.count] }
            let (items, rollout) = try await builder.items(for: batch, seed: (seed << 32) | UInt64(step))
            var line = header
            line["event"] = "step"
            line["step"] = step
            line["prompts"] = batch.count
            line["generated_tokens"] = rollout.generatedTokens
            line["rollout_seconds"] = rollout.seconds
            line["reward_mean"] = ExperimentFiles.optional(rollout.stats.rewardMean)
            line["reward_std"] = ExperimentFiles.optional(rollout.stats.rewardStd)
            line["reference_reward_mean"] = ExperimentFiles.optional(rollout.stats.referenceRewardMean)
            line["failed_rewards"] = rollout.stats.maskedSamples + rollout.stats.referenceRewardFailures
            line["zero_variance_groups"] = rollout.stats.zeroVarianceGroups
            if method.algorithm == .dpo { line["pairs"] = rollout.stats.pairs }
            totals.generated += rollout.generatedTokens
            totals.rolloutSeconds += rollout.seconds
            do {
                // A DPO step without any pair gets one zero item from the rollout: loss and gradient 0 (see "pairs").
                let m = try trainer.step(items)
                line["applied"] = m.applied
                if let why = m.skipReason { line["skip_reason"] = why }
                line["loss"] = m.loss
                line["grad_norm"] = m.gradNorm
                line["learning_rate"] = m.learningRate
                line["train_tokens"] = m.tokens
                line["fed_tokens"] = m.fedTokens
                line["update_seconds"] = m.seconds
                line["seconds"] = rollout.seconds + m.seconds
                line["terms"] = m.terms
                totals.trainTokens += m.fedTokens
                totals.updateSeconds += m.seconds
                for key in ["exploration", "imitation", "alignment"] { termSums[key, default: 0] += abs(m.terms[key] ?? 0) }
            }
            try log.append(line)
            var status = String(format: "%@ step %d/%d  %.1f s", name, step, config.steps, line["seconds"] as? Double ?? 0)
            if let r = rollout.stats.rewardMean { status += String(format: "  reward %.3f", r) }
            if let l = line["loss"] as? Double { status += String(format: "  loss %.4f", l) }
            progress(status)

            if step % config.evalEvery == 0 || step == config.steps {
                let start = ContinuousClock.now
                let results = try await evaluator.run(policy: trainer.policy)
                let seconds = start.elapsedSeconds
                totals.evalSeconds += seconds
                totals.evalTokens += results.reduce(0) { $0 + $1.tokens }
                let object = Self.evalObject(step: step, items: results, baseline: baseline, seconds: seconds)
                try log.append(header.merging(object) { a, _ in a })
                evals.append(object)
                let overall = EvaluationSummary(results, baseline: baseline)
                progress(String(format: "%@ eval at step %d: success %.3f  RAS %.3f/%.3f  NAG %.3f  (%.1f s)", name, step,
                                overall.successRate ?? .nan, overall.winRate ?? .nan, overall.winOrTieRate ?? .nan,
                                overall.nag ?? .nan, seconds))
                if step == config.steps {
                    var result = header
                    result["steps"] = config.steps
                    result["evals"] = evals
                    result["final"] = object
                    result["completions"] = results.map(Self.completionObject)
                    let termTotal = termSums.values.reduce(0, +)
                    if method.algorithm == .grao, termTotal > 0 { result["term_shares"] = termSums.mapValues { $0 / termTotal } }
                    result["totals"] = [
                        "seconds": cellStart.elapsedSeconds, "generated_tokens": totals.generated,
                        "fed_train_tokens": totals.trainTokens, "rollout_seconds": totals.rolloutSeconds,
                        "update_seconds": totals.updateSeconds, "eval_seconds": totals.evalSeconds,
                        "eval_generated_tokens": totals.evalTokens, "skipped_steps": trainer.skippedSteps,
                    ] as [String: Any]
                    try ExperimentFiles.writeAtomically(try ExperimentFiles.json(result), to: resultPath)
                    return result
                }
            }
        }
        throw ExperimentError("\(name): ended without a final evaluation")  // unreachable: the last step evaluates
    }

    /// An evaluation as logged: overall and per-task summaries against the baseline.
    static func evalObject(step: Int, items: [EvaluatedCompletion], baseline: [EvaluatedCompletion], seconds: Double) -> [String: Any] {
        var tasks: [String: Any] = [:]
        for (task, summary) in EvaluationSummary.byTask(items, baseline: baseline) { tasks[task] = summaryObject(summary) }
        return ["event": "eval", "step": step, "seconds": seconds, "generated_tokens": items.reduce(0) { $0 + $1.tokens },
                "overall": summaryObject(EvaluationSummary(items, baseline: baseline)), "tasks": tasks]
    }

    static func summaryObject(_ s: EvaluationSummary) -> [String: Any] {
        ["prompts": s.prompts, "failures": s.failures, "mean_reward": ExperimentFiles.optional(s.meanReward),
         "success_rate": ExperimentFiles.optional(s.successRate), "win_rate": ExperimentFiles.optional(s.winRate),
         "win_or_tie_rate": ExperimentFiles.optional(s.winOrTieRate), "nag": ExperimentFiles.optional(s.nag),
         "nag_net": ExperimentFiles.optional(s.nagNet), "mean_completion_tokens": s.meanCompletionTokens]
    }

    static func completionObject(_ c: EvaluatedCompletion) -> [String: Any] {
        var o: [String: Any] = ["task": c.task, "completion": c.completion, "tokens": c.tokens,
                                "reward": ExperimentFiles.optional(c.reward),
                                "reference_reward": ExperimentFiles.optional(c.referenceReward)]
        o["success"] = c.success.map { $0 as Any } ?? NSNull()
        o["verdict"] = c.verdict.map { $0.rawValue as Any } ?? NSNull()
        return o
    }
}
