import Alignment
import Foundation
import Llama
import Rewards

/// A training example of an experiment and its task (which reward scores it).
struct ExperimentExample {
    var task: Int
    var example: TrainingExample
}

/// What a step's rollout did, for the step's log line.
struct ExperimentRollout {
    var stats = RolloutStats()
    var generatedTokens = 0
    var seconds = 0.0
}

/// Turns one step's examples into objective items with Alignment's `Rollout`: samples groups from the current
/// policy when the method needs them, scores every query with its example's task reward (failures masked, never
/// read as 0; one batch per task, so a remote judge sees whole batches), and builds the method's items.
/// Every method gets the same examples in the same order.
struct ExperimentStepBuilder {
    let method: ExperimentConfig.Method
    let rollout: Rollout
    let trainer: PolicyTrainer
    let rewards: [any RewardModel]

    init(method: ExperimentConfig.Method, config: ExperimentConfig, codec: ChatRolloutCodec, trainer: PolicyTrainer,
         rewards: [any RewardModel]) throws {
        self.method = method
        self.trainer = trainer
        self.rewards = rewards
        rollout = try Rollout(algorithm: method.algorithmConfig,
                              settings: RolloutSettings(groupSize: config.groupSize, maxTokens: config.maxTokens,
                                                        sampling: SamplingParameters(temperature: config.temperature)),
                              codec: codec)
    }

    func items(for batch: [ExperimentExample], seed: UInt64) async throws -> ([ObjectiveItem], ExperimentRollout) {
        let start = ContinuousClock.now
        // DPO pairs: the datasets' rejected answers are used only when the method asks for them; otherwise they are
        // hidden so that the rollout derives pairs from sampled groups.
        let examples = batch.map { e -> TrainingExample in
            var x = e.example
            if method.algorithm != .dpo || method.pairs != .dataset { x.rejected = nil }
            return x
        }
        if method.algorithm == .dpo, method.pairs == .dataset, let e = examples.first(where: { $0.rejected == nil }) {
            throw ExperimentError("method \(method.name): dataset pairs need \"rejected\" (line \(e.line))")
        }
        let groups = try rollout.sample(examples, policy: trainer.policy, seed: seed)
        let queries = rollout.queries(for: groups)
        // Which task each query belongs to: queries are laid out group by group (samples, then the reference).
        var owner: [Int] = []
        for (i, g) in groups.enumerated() {
            let count = g.samples.count + (rollout.scoresReference && !g.samples.isEmpty && g.example.reference != nil ? 1 : 0)
            owner += Array(repeating: batch[i].task, count: count)
        }
        guard owner.count == queries.count else {
            throw ExperimentError("internal: \(queries.count) reward queries for \(owner.count) expected")
        }
        var scores = [Double?](repeating: nil, count: queries.count)
        for task in Set(owner).sorted() {
            let indices = queries.indices.filter { owner[$0] == task }
            let outcomes = await rewards[task].score(indices.map {
                RewardItem(prompt: queries[$0].prompt, completion: queries[$0].completion, reference: queries[$0].reference,
                           metadata: queries[$0].metadata)
            })
            guard outcomes.count == indices.count else { continue }  // contract broken: every item stays failed
            for (k, i) in indices.enumerated() { scores[i] = outcomes[k].value.flatMap { $0.isFinite ? $0 : nil } }
        }
        let batchResult = try rollout.items(try rollout.scored(groups, rewards: scores), trainer: trainer)
        var out = ExperimentRollout(stats: batchResult.stats)
        out.generatedTokens = groups.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.tokens.count } }
        out.seconds = start.elapsedSeconds
        return (batchResult.items, out)
    }
}
