import Alignment
import ArgumentParser
import Foundation
import Llama
import Tokenization

/// What sampling and scoring a step's groups gave, for the metrics line.
struct RolloutStats {
    var rewardMean = 0.0
    var rewardStd = 0.0
    var zeroVarianceGroups = 0
    var meanCompletionLength = 0.0
    var seconds = 0.0
}

/// Turns dataset examples into objective items: chat-formats prompts, samples groups from the current policy,
/// scores them, and asks the reference policy for the log-probs DPO and GRPO's KL need.
struct TrainItemBuilder {
    let command: TrainCommand
    let loaded: LoadedModel
    let trainer: PolicyTrainer
    let reward: any CompletionReward

    /// Reference answers end with the end-of-turn token, so training on them also teaches the model to stop.
    func answerTokens(_ text: String) -> [Int] {
        loaded.tokenizer.encode(text, parseSpecial: false) + Array(loaded.tokenizer.endOfGenerationIds.sorted().prefix(1))
    }

    func promptTokens(_ example: TrainingExample) throws -> [Int] {
        let template: ChatTemplate
        do { template = try ChatTemplate(gguf: loaded.file) } catch { throw ValidationError("chat template: \(error)") }
        return loaded.tokenizer.encode(template.render(example.messages, addGenerationPrompt: true), parseSpecial: true)
    }

    func items(for examples: [TrainingExample], seed: UInt64) throws -> ([ObjectiveItem], RolloutStats) {
        let start = ContinuousClock.now
        var stats = RolloutStats()
        let prompts = try examples.map(promptTokens)
        let references = examples.map { answerTokens($0.reference!) }
        let cmd = command
        var items: [ObjectiveItem] = []
        if cmd.algorithm == .sft {
            items = zip(prompts, references).map { ObjectiveItem.sft(prompt: $0, reference: $1) }
        } else if cmd.algorithm == .dpo, examples.allSatisfy({ $0.rejected != nil }) {
            items = try dpoItems(prompts: prompts, chosen: references, rejected: examples.map { answerTokens($0.rejected!) })
        } else {
            let requests = prompts.enumerated().map { i, p in
                GenerationRequest(prompt: p, sampleCount: cmd.groupSize, maxTokens: cmd.maxTokens,
                                  sampling: SamplingParameters(temperature: cmd.temperature), seed: seed &+ UInt64(i))
            }
            let groups = try trainer.policy.generate(requests, endOfSequence: loaded.tokenizer.endOfGenerationIds,
                                                     decoder: loaded.tokenizer)
            var allRewards: [Double] = [], lengths = 0, count = 0
            var chosen: [[Int]] = [], rejected: [[Int]] = [], pairPrompts: [[Int]] = []
            for (i, group) in groups.enumerated() {
                let referenceText = examples[i].reference!
                let rewards = group.map { reward.score(completion: $0.text, reference: referenceText) }
                let referenceReward = reward.score(completion: referenceText, reference: referenceText)
                allRewards += rewards.compactMap { $0 }
                lengths += group.reduce(0) { $0 + $1.tokens.count }
                count += group.count
                let samples = group.map(\.tokens)
                switch cmd.algorithm {
                case .grao:
                    let objective = GRAOObjective(config: .init(beta: cmd.beta, lambda: cmd.lambda))
                    items.append(.grao(prompt: prompts[i], samples: samples, sampleRewards: rewards,
                                       reference: references[i], referenceReward: referenceReward, objective: objective))
                case .grpo:
                    let refs = cmd.klCoefficient != 0
                        ? try trainer.referenceLogProbs(samples.map { ScoringPair(prompt: prompts[i], completion: $0) }) : nil
                    let objective = GRPOObjective(config: .init(clipEpsilon: cmd.clipEpsilon, klCoefficient: cmd.klCoefficient))
                    items.append(.grpo(prompt: prompts[i], samples: samples, rewards: rewards, referenceLogProbs: refs,
                                       objective: objective))
                case .dpo:  // no "rejected" given: the reference against the worst sample
                    if let pair = PreferencePair.derive(sampleRewards: rewards, referenceReward: referenceReward,
                                                        using: .referenceVsWorst), case .sample(let worst) = pair.rejected {
                        pairPrompts.append(prompts[i])
                        chosen.append(references[i])
                        rejected.append(samples[worst])
                    } else {
                        stats.zeroVarianceGroups += 1
                    }
                case .sft: break
                }
                let advantages = GroupAdvantages(sampleRewards: rewards, referenceReward: referenceReward)
                if cmd.algorithm != .dpo && advantages.isZeroVariance { stats.zeroVarianceGroups += 1 }
            }
            if cmd.algorithm == .dpo {
                if !pairPrompts.isEmpty { items = try dpoItems(prompts: pairPrompts, chosen: chosen, rejected: rejected) }
                if items.isEmpty {  // no group gave a preference: a zero item keeps the step defined (loss and gradient 0)
                    items = [ObjectiveItem(sequences: [ScoringPair(prompt: prompts[0], completion: references[0])]) { lp, _ in
                        ObjectiveOutput(loss: 0, tokenWeights: lp.map { [Float](repeating: 0, count: $0.count) })
                    }]
                }
            }
            let mean = allRewards.isEmpty ? 0 : allRewards.reduce(0, +) / Double(allRewards.count)
            stats.rewardMean = mean
            stats.rewardStd = allRewards.isEmpty ? 0
                : (allRewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(allRewards.count)).squareRoot()
            stats.meanCompletionLength = count == 0 ? 0 : Double(lengths) / Double(count)
        }
        let elapsed = ContinuousClock.now - start
        stats.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return (items, stats)
    }

    func dpoItems(prompts: [[Int]], chosen: [[Int]], rejected: [[Int]]) throws -> [ObjectiveItem] {
        var pairs: [ScoringPair] = []
        for i in prompts.indices {
            pairs += [ScoringPair(prompt: prompts[i], completion: chosen[i]), ScoringPair(prompt: prompts[i], completion: rejected[i])]
        }
        let refs = try trainer.referenceLogProbs(pairs)
        let objective = DPOObjective(config: .init(beta: command.dpoBeta))
        return prompts.indices.map { i in
            .dpo(prompt: prompts[i], chosen: chosen[i], rejected: rejected[i],
                 chosenReferenceLogProb: SequenceLikelihood.sum(refs[2 * i]),
                 rejectedReferenceLogProb: SequenceLikelihood.sum(refs[2 * i + 1]), objective: objective)
        }
    }
}
