import Alignment
import Foundation
import Llama
import Rewards
import Tokenization

/// A training example of an experiment: its task (which reward scores it) and the chat-formatted prompt tokens.
struct ExperimentExample {
    var task: Int
    var example: TrainingExample
    var promptTokens: [Int]
    var promptText: String { example.messages.last?.content ?? "" }
}

/// What a step's rollout did, for the step's log line.
struct ExperimentRollout {
    var rewards: [Double] = []
    var failedRewards = 0
    var zeroVarianceGroups = 0
    var generatedTokens = 0
    var samples = 0
    var seconds = 0.0

    var rewardMean: Double? { rewards.isEmpty ? nil : rewards.reduce(0, +) / Double(rewards.count) }
    var rewardStd: Double? {
        guard let m = rewardMean else { return nil }
        return (rewards.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(rewards.count)).squareRoot()
    }
}

/// Turns one step's examples into objective items for a method: samples groups from the current policy when the
/// method needs them, scores them with each example's task reward (failures masked, never read as 0), and asks the
/// reference policy for what DPO and GRPO's KL need. Every method gets the same examples in the same order.
struct ExperimentStepBuilder {
    let method: ExperimentConfig.Method
    let config: ExperimentConfig
    let tokenizer: BPETokenizer
    let trainer: PolicyTrainer
    let rewards: [any RewardModel]

    /// Reference answers end with the end-of-turn token, so imitating them also teaches the model to stop.
    func answerTokens(_ text: String) -> [Int] {
        tokenizer.encode(text, parseSpecial: false) + Array(tokenizer.endOfGenerationIds.sorted().prefix(1))
    }

    func items(for batch: [ExperimentExample], seed: UInt64) async throws -> ([ObjectiveItem], ExperimentRollout) {
        let start = ContinuousClock.now
        var rollout = ExperimentRollout()
        let references = batch.map { answerTokens($0.example.reference!) }
        var items: [ObjectiveItem] = []
        switch (method.algorithm, method.samples) {
        case (.sft, _):
            items = zip(batch, references).map { .sft(prompt: $0.promptTokens, reference: $1) }
        case (.dpo, false):
            let rejected = try batch.map { e -> [Int] in
                guard let r = e.example.rejected else {
                    throw ExperimentError("method \(method.name): dataset pairs need \"rejected\" (line \(e.example.line))")
                }
                return answerTokens(r)
            }
            items = try dpoItems(prompts: batch.map(\.promptTokens), chosen: references, rejected: rejected)
        default:
            items = try await sampledItems(batch, references: references, seed: seed, rollout: &rollout)
        }
        rollout.seconds = ExperimentClock.seconds(since: start)
        return (items, rollout)
    }

    private func sampledItems(_ batch: [ExperimentExample], references: [[Int]], seed: UInt64,
                              rollout: inout ExperimentRollout) async throws -> [ObjectiveItem] {
        let requests = batch.enumerated().map { i, e in
            GenerationRequest(prompt: e.promptTokens, sampleCount: config.groupSize, maxTokens: config.maxTokens,
                              sampling: SamplingParameters(temperature: config.temperature), seed: seed &+ UInt64(i))
        }
        let groups = try trainer.policy.generate(requests, endOfSequence: tokenizer.endOfGenerationIds, decoder: tokenizer)
        // Score every group's samples and its reference in one call per task (a remote judge sees whole batches).
        var sampleRewards = groups.map { [Double?](repeating: nil, count: $0.count) }
        var referenceRewards = [Double?](repeating: nil, count: batch.count)
        for task in Set(batch.map(\.task)).sorted() {
            let members = batch.indices.filter { batch[$0].task == task }
            var scoreItems: [RewardItem] = []
            for i in members {
                let e = batch[i]
                scoreItems += groups[i].map { RewardItem(prompt: e.promptText, completion: $0.text, reference: e.example.reference) }
                scoreItems.append(RewardItem(prompt: e.promptText, completion: e.example.reference!, reference: e.example.reference))
            }
            let outcomes = await rewards[task].score(scoreItems)
            guard outcomes.count == scoreItems.count else { continue }  // contract broken: every item stays failed
            var k = 0
            for i in members {
                for g in groups[i].indices {
                    sampleRewards[i][g] = outcomes[k].value.flatMap { $0.isFinite ? $0 : nil }
                    k += 1
                }
                referenceRewards[i] = outcomes[k].value.flatMap { $0.isFinite ? $0 : nil }
                k += 1
            }
        }
        var items: [ObjectiveItem] = []
        var chosen: [[Int]] = [], rejected: [[Int]] = [], pairPrompts: [[Int]] = []
        for (i, group) in groups.enumerated() {
            let prompt = batch[i].promptTokens
            let samples = group.map(\.tokens)
            let r = sampleRewards[i]
            rollout.rewards += r.compactMap { $0 }
            rollout.failedRewards += r.filter { $0 == nil }.count
            rollout.generatedTokens += samples.reduce(0) { $0 + $1.count }
            rollout.samples += samples.count
            switch method.algorithm {
            case .grao:
                let advantages = GroupAdvantages(sampleRewards: r, referenceReward: referenceRewards[i], options: method.grao.advantages)
                if advantages.isZeroVariance { rollout.zeroVarianceGroups += 1 }
                items.append(.grao(prompt: prompt, samples: samples, sampleRewards: r, reference: references[i],
                                   referenceReward: referenceRewards[i], objective: GRAOObjective(config: method.grao)))
            case .grpo:
                if GroupAdvantages(sampleRewards: r, referenceReward: nil, options: .init(referenceInGroup: false)).isZeroVariance {
                    rollout.zeroVarianceGroups += 1
                }
                let refs = method.grpo.klCoefficient != 0
                    ? try trainer.referenceLogProbs(samples.map { ScoringPair(prompt: prompt, completion: $0) }) : nil
                items.append(.grpo(prompt: prompt, samples: samples, rewards: r, referenceLogProbs: refs,
                                   objective: GRPOObjective(config: method.grpo)))
            case .dpo:
                if let pair = PreferencePair.derive(sampleRewards: r, referenceReward: referenceRewards[i], using: .referenceVsWorst),
                   case .sample(let worst) = pair.rejected {
                    pairPrompts.append(prompt)
                    chosen.append(references[i])
                    rejected.append(samples[worst])
                } else {
                    rollout.zeroVarianceGroups += 1
                }
            case .sft: break
            }
        }
        if method.algorithm == .dpo {
            items = pairPrompts.isEmpty ? [] : try dpoItems(prompts: pairPrompts, chosen: chosen, rejected: rejected)
        }
        return items
    }

    private func dpoItems(prompts: [[Int]], chosen: [[Int]], rejected: [[Int]]) throws -> [ObjectiveItem] {
        var pairs: [ScoringPair] = []
        for i in prompts.indices {
            pairs += [ScoringPair(prompt: prompts[i], completion: chosen[i]), ScoringPair(prompt: prompts[i], completion: rejected[i])]
        }
        let refs = try trainer.referenceLogProbs(pairs)
        let objective = DPOObjective(config: method.dpo)
        return prompts.indices.map { i in
            .dpo(prompt: prompts[i], chosen: chosen[i], rejected: rejected[i],
                 chosenReferenceLogProb: SequenceLikelihood.sum(refs[2 * i]),
                 rejectedReferenceLogProb: SequenceLikelihood.sum(refs[2 * i + 1]), objective: objective)
        }
    }
}

/// Seconds between two instants, as the logs report them.
enum ExperimentClock {
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
