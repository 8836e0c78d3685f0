import Alignment
import Foundation
import Llama
import Logging
import Rewards
import Tokenization

/// The tasks of an experiment loaded and checked: training examples (chat-formatted), held-out prompts, and each
/// task's reward model built from its spec.
struct ExperimentData {
    var train: [[ExperimentExample]]
    var eval: [EvaluationPrompt]
    var rewards: [any RewardModel]

    init(config: ExperimentConfig, codec: ChatRolloutCodec, judgeURL: String?, seed: UInt64 = 0x6772_616F) throws {
        var logger = Logger(label: "grao.experiment") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        train = []
        eval = []
        rewards = []
        for (t, task) in config.tasks.enumerated() {
            let examples: [TrainingExample], held: [TrainingExample]
            do {
                examples = try TrainingDataset.load(path: task.train, requireReference: true, requireRejected: false)
                held = try TrainingDataset.load(path: task.eval, requireReference: true, requireRejected: false)
            } catch let error as TrainingDataError { throw ExperimentError("task \(task.name): \(error.description)") }
            guard held.count >= task.evalSize else {
                throw ExperimentError("task \(task.name): eval_size \(task.evalSize) but \(task.eval) has \(held.count) examples")
            }
            // The held-out set must be held out: a shared prompt would measure memorization.
            let trainPrompts = Set(examples.map { $0.messages.map(\.content).joined(separator: "\u{1}") })
            if let leak = held.first(where: { trainPrompts.contains($0.messages.map(\.content).joined(separator: "\u{1}")) }) {
                throw ExperimentError("task \(task.name): \(task.eval) line \(leak.line) repeats a training prompt")
            }
            train.append(examples.map { ExperimentExample(task: t, example: $0) })
            eval += try held.prefix(task.evalSize).map {
                EvaluationPrompt(task: task.name, tokens: try codec.promptTokens($0.messages), text: $0.promptText,
                                 reference: $0.reference!, metadata: $0.metadata)
            }
            var specText = task.reward.text
            if let judgeURL { specText = specText.replacingOccurrences(of: "{{judge_url}}", with: judgeURL) }
            do {
                rewards.append(try RewardSpec.makeReward(json: specText, context: RewardContext(logger: logger, seed: seed)))
            } catch let error as RewardError {
                throw ExperimentError("task \(task.name): reward spec: \(error)")
            }
        }
    }

    /// Every task's examples in one order drawn from `seed` (the same for every method at that seed).
    func stream(seed: UInt64) -> [ExperimentExample] {
        var all = train.flatMap { $0 }
        var random = SeededRandom(seed: seed)
        all.shuffle(using: &random)
        return all
    }
}
