/// One whole update step from examples: what a run does per step, and what `POST /v1/train/step` does for
/// fresh prompts.
public struct RolloutStepResult: Sendable {
    /// The scored groups the step trained on (samples, rewards), e.g. to return or store them.
    public var groups: [ScoredGroup]
    public var stats: RolloutStats
    public var metrics: StepMetrics
}

extension Rollout {
    /// Samples (on the executor), scores (awaiting `reward`, off the executor), then builds the items and updates
    /// (on the executor). `proceed` is asked after the rewards arrive: returning false abandons the step before it
    /// touches the weights (nil is returned). `stats.seconds` is the wall time outside the update itself.
    public func step(_ examples: [TrainingExample], trainer: PolicyTrainer, seed: UInt64, executor: any ModelExecutor,
                     reward: RunRewardFunction,
                     proceed: @Sendable () async -> Bool = { true }) async throws -> RolloutStepResult? {
        let start = ContinuousClock.now
        let rollout = self
        let groups = try await executor.run { try rollout.sample(examples, policy: trainer.policy, seed: seed) }
        let queries = queries(for: groups)
        var rewards: [Double?] = []
        if !queries.isEmpty {
            do { rewards = try await reward(queries) } catch { throw AlignmentError.invalidTraining("reward: \(error)") }
        }
        guard await proceed() else { return nil }
        let scored = try self.scored(groups, rewards: rewards)
        let (stats, metrics) = try await executor.run { () throws -> (RolloutStats, StepMetrics) in
            let built = try rollout.items(scored, trainer: trainer)
            return (built.stats, try trainer.step(built.items))
        }
        var timed = stats
        let elapsed = ContinuousClock.now - start
        timed.seconds = max(0, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            - metrics.seconds)
        return RolloutStepResult(groups: scored, stats: timed, metrics: metrics)
    }
}

extension ScoredGroup {
    /// The group-relative advantages the algorithm uses (GRAO: its options, the reference in the group by default;
    /// GRPO: over the samples only); for DPO and SFT the default GRAO reading, for display.
    public func advantages(_ algorithm: AlgorithmConfig) -> GroupAdvantages {
        switch algorithm.name {
        case .grpo:
            var options = algorithm.grpo.advantages
            options.referenceInGroup = false
            return GroupAdvantages(sampleRewards: sampleRewards, referenceReward: nil, options: options)
        case .grao:
            return GroupAdvantages(sampleRewards: sampleRewards, referenceReward: referenceReward,
                                   options: algorithm.grao.advantages)
        case .dpo, .sft:
            return GroupAdvantages(sampleRewards: sampleRewards, referenceReward: referenceReward)
        }
    }
}
