import Foundation
import Testing
@testable import Alignment
@testable import Llama

/// The rollout's three phases on a tiny random model: seeded sampling, the reward query layout, and each
/// algorithm's items from given groups and rewards, with failed rewards masked (never read as 0).
@Suite struct RolloutTests {
    static let examples = [TrainingExample(prompt: "12+3", reference: "15"),
                           TrainingExample(prompt: "4+4", reference: "8", metadata: ["task": "add"])]

    static func rollout(_ algorithm: AlgorithmConfig, groupSize: Int = 3) throws -> Rollout {
        try Rollout(algorithm: algorithm, settings: RolloutSettings(groupSize: groupSize, maxTokens: 6,
                                                                     sampling: SamplingParameters(temperature: 1)),
                    codec: ToyCodec())
    }

    /// Groups with fixed samples (as inline groups), so items can be checked against the objectives directly.
    static func groups(_ rollout: Rollout) throws -> [RolloutGroup] {
        try [rollout.inlineGroup(example: examples[0], samples: [.tokens([4, 5, 2]), .text("15"), .tokens([9, 9, 9, 2])],
                                 vocabularySize: 61),
             rollout.inlineGroup(example: examples[1], samples: [.text("8"), .text("7"), .text("88")], vocabularySize: 61)]
    }

    static func trainer() throws -> PolicyTrainer { try PolicyTrainerTests.trainer(try PolicyTrainerTests.model()) }

    static func logProbs(_ item: ObjectiveItem) -> [[Float]] {
        item.sequences.map { pair in pair.completion.indices.map { -0.5 - Float($0) * 0.1 } }
    }

    @Test func samplingIsDeterministicForASeed() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grao))
        let policy = try PolicyTrainerTests.model()
        let a = try rollout.sample(Self.examples, policy: policy, seed: 7)
        let b = try rollout.sample(Self.examples, policy: policy, seed: 7)
        let c = try rollout.sample(Self.examples, policy: policy, seed: 8)
        #expect(a == b)
        #expect(a.map { $0.samples.map(\.tokens) } != c.map { $0.samples.map(\.tokens) })
        #expect(a.allSatisfy { $0.samples.count == 3 && $0.samples.allSatisfy { !$0.tokens.isEmpty && $0.tokens.count <= 6 } })
        #expect(a[0].prompt == [1] + "12+3".unicodeScalars.map(ToyCodec.token))
        #expect(a[0].reference == ToyCodec().answerTokens("15"))
        #expect(a[0].samples[0].text == ToyCodec().text(of: a[0].samples[0].tokens))
    }

    @Test func sftAndGivenPairsAreNotSampled() throws {
        let policy = try PolicyTrainerTests.model()
        let sft = try Self.rollout(AlgorithmConfig(.sft)).sample(Self.examples, policy: policy, seed: 1)
        #expect(sft.allSatisfy { $0.samples.isEmpty })
        let dpo = try Self.rollout(AlgorithmConfig(.dpo))
        let groups = try dpo.sample([TrainingExample(prompt: "1", reference: "2", rejected: "3"), Self.examples[0]],
                                    policy: policy, seed: 1)
        #expect(groups[0].samples.isEmpty && groups[0].rejected == ToyCodec().answerTokens("3"))
        #expect(groups[1].samples.count == 3, "no rejected answer: the pair is derived from a sampled group")
    }

    @Test func rewardQueriesListSamplesThenTheReference() throws {
        let grao = try Self.rollout(AlgorithmConfig(.grao))
        let groups = try Self.groups(grao)
        let queries = grao.queries(for: groups)
        #expect(queries.count == 8)
        #expect(queries[1] == RewardQuery(prompt: "12+3", completion: "15", reference: "15"))
        #expect(queries[3] == RewardQuery(prompt: "12+3", completion: "15", reference: "15"), "r_y: y against itself")
        #expect(queries[4].metadata == ["task": "add"])
        let scored = try grao.scored(groups, rewards: [1, nil, 0, 1, 1, 0, 0, nil])
        #expect(scored[0].sampleRewards == [1, nil, 0] && scored[0].referenceReward == 1)
        #expect(scored[1].sampleRewards == [1, 0, 0] && scored[1].referenceReward == nil)
        #expect(throws: AlignmentError.self) { try grao.scored(groups, rewards: [1]) }
        #expect(throws: AlignmentError.self) { try grao.scored(groups, rewards: [1, 1, 1, 1, 1, 1, 1, .nan]) }
        // GRPO has no use for r_y: the reference is not scored.
        let grpo = try Self.rollout(AlgorithmConfig(.grpo))
        #expect(grpo.queries(for: groups).count == 6)
    }

    @Test func graoItemsMaskFailedRewardsInsteadOfZeroingThem() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grao))
        let groups = try Self.groups(rollout)
        let scored = try rollout.scored(groups, rewards: [1, nil, 0, 1, 1, 0, 0, 1])
        let batch = try rollout.items(scored, trainer: try Self.trainer())
        #expect(batch.items.count == 2)
        #expect(batch.stats.maskedSamples == 1 && batch.stats.samples == 6 && batch.stats.groups == 2)
        #expect(batch.stats.rewardMean == 2.0 / 5.0, "mean over the 5 unmasked rewards, not 6")
        #expect(batch.stats.zeroVarianceGroups == 0 && batch.stats.referenceRewardMean == 1)
        let item = batch.items[0]
        #expect(item.sequences.map(\.completion) == groups[0].samples.map(\.tokens) + [groups[0].reference!])
        let lp = Self.logProbs(item)
        let objective = GRAOObjective()
        func direct(_ rewards: [Double?]) -> ObjectiveOutput {
            objective.evaluate(.init(sampleLogProbs: Array(lp[0..<3]), sampleRewards: rewards, referenceLogProbs: lp[3],
                                     referenceReward: 1), scale: 0.5)
        }
        let out = item.evaluate(lp, 0.5)
        #expect(out == direct([1, nil, 0]))
        #expect(out != direct([1, 0, 0]), "a failed reward must not count as 0")
        #expect(out.tokenWeights[1].allSatisfy { $0 == 0 }, "the masked sample gets no gradient")
        #expect(out.terms["masked_samples"] == 1)
    }

    @Test func graoCountsTiedGroups() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grao))
        let scored = try rollout.scored(try Self.groups(rollout), rewards: [1, 1, 1, 1, nil, nil, nil, nil])
        let batch = try rollout.items(scored, trainer: try Self.trainer())
        #expect(batch.stats.zeroVarianceGroups == 2, "all tied, and all failed")
        #expect(batch.stats.maskedSamples == 3 && batch.stats.referenceRewardFailures == 1)
        #expect(batch.stats.rewardStd == 0)
    }

    @Test func grpoItemsCarryReferenceLogProbsWhenKLIsOn() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grpo))
        let groups = try Self.groups(rollout)
        let trainer = try Self.trainer()
        let batch = try rollout.items(try rollout.scored(groups, rewards: [1, 0, nil, 1, 1, 1]), trainer: trainer)
        #expect(batch.items.map(\.sequences.count) == [3, 3])
        #expect(batch.stats.zeroVarianceGroups == 1 && batch.stats.maskedSamples == 1)
        // Policy = reference before any step: the k3 KL is 0 at the policy's own log-probs, but the term exists.
        let item = batch.items[0]
        let lp = try trainer.policyLogProbs(item.sequences)
        let out = item.evaluate(lp, 1)
        #expect(out.terms["kl"] != nil && abs(out.terms["kl"]!) < 1e-6)
        #expect(out.tokenWeights[2].allSatisfy { $0 == 0 }, "masked sample")
        let noKL = try Self.rollout(AlgorithmConfig(.grpo, grpo: .init(klCoefficient: 0)))
        let plain = try noKL.items(try noKL.scored(groups, rewards: [1, 0, nil, 1, 1, 1]), trainer: trainer)
        #expect(plain.items[0].evaluate(lp, 1).terms["kl"] == 0)
    }

    @Test func dpoPairsNeverUseAFailedSample() throws {
        let trainer = try Self.trainer()
        let worst = try Self.rollout(AlgorithmConfig(.dpo))
        let groups = try Self.groups(worst)
        // Group 0: sample 0 failed (it would be the worst as 0); sample 2 is the worst scored one.
        let batch = try worst.items(try worst.scored(groups, rewards: [nil, 0.5, 0.2, 1, 0.3, 0.3, 0.3, 0.3]),
                                    trainer: trainer)
        #expect(batch.items.count == 1 && batch.stats.pairs == 1 && batch.stats.zeroVarianceGroups == 1)
        #expect(batch.items[0].sequences.map(\.completion) == [groups[0].reference!, groups[0].samples[2].tokens])
        let best = try Self.rollout(AlgorithmConfig(.dpo, pairDerivation: .bestVsWorst))
        let pairs = try best.items(try best.scored(groups, rewards: [nil, 0.5, 0.2, 0, 1, 0]), trainer: trainer)
        #expect(pairs.items.map { $0.sequences.map(\.completion) } == [[groups[0].samples[1].tokens, groups[0].samples[2].tokens],
                                                                      [groups[1].samples[1].tokens, groups[1].samples[0].tokens]])
        // No preference anywhere: one zero item keeps the step defined.
        let none = try worst.items(try worst.scored(groups, rewards: [nil, nil, nil, nil, 1, 1, 1, 1]), trainer: trainer)
        #expect(none.items.count == 1 && none.stats.pairs == 0 && none.stats.zeroVarianceGroups == 2)
        let out = none.items[0].evaluate(Self.logProbs(none.items[0]), 1)
        #expect(out.loss == 0 && out.tokenWeights.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test func givenRejectedAnswersMakeThePair() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.dpo))
        let example = TrainingExample(prompt: "1", reference: "2", rejected: "3")
        let group = try rollout.group(for: example, index: 0)
        let batch = try rollout.items([try ScoredGroup(group: group, sampleRewards: [], referenceReward: nil)],
                                      trainer: try Self.trainer())
        #expect(batch.items[0].sequences.map(\.completion) == [ToyCodec().answerTokens("2"), ToyCodec().answerTokens("3")])
    }

    @Test func sftItemsTrainOnTheReference() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.sft))
        let groups = try rollout.sample(Self.examples, policy: try PolicyTrainerTests.model(), seed: 0)
        #expect(rollout.queries(for: groups).isEmpty)
        let batch = try rollout.items(try rollout.scored(groups, rewards: []), trainer: try Self.trainer())
        #expect(batch.items.map { $0.sequences.map(\.completion) } == [[groups[0].reference!], [groups[1].reference!]])
        #expect(batch.stats.rewardMean == nil && batch.stats.meanCompletionLength == nil)
    }

    @Test func refusesMissingReferencesAndForeignTokens() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grao))
        var example = TrainingExample(prompt: "1")
        example.line = 12
        #expect(throws: AlignmentError.invalidTraining("example at line 12: grao needs a \"reference\" answer")) {
            try rollout.group(for: example, index: 0)
        }
        #expect(throws: AlignmentError.invalidTraining("samples[1]: token 61 outside the vocabulary 0..<61")) {
            try rollout.inlineGroup(example: Self.examples[0], samples: [.tokens([3]), .tokens([5, 61])], vocabularySize: 61)
        }
        #expect(throws: AlignmentError.self) {
            try Rollout(algorithm: AlgorithmConfig(.grao), settings: RolloutSettings(groupSize: 0), codec: ToyCodec())
        }
        // GRPO needs no reference.
        #expect(try Self.rollout(AlgorithmConfig(.grpo)).group(for: TrainingExample(prompt: "1"), index: 0).reference == nil)
    }

    @Test func aFullStepFromSamplesToUpdate() throws {
        let rollout = try Self.rollout(AlgorithmConfig(.grao), groupSize: 4)
        let trainer = try Self.trainer()
        let groups = try rollout.sample(Self.examples, policy: trainer.policy, seed: 3)
        // Reward: completion length parity, so the group has spread; the reference scores 1.
        let rewards: [Double?] = rollout.queries(for: groups).map { $0.completion == $0.reference ? 1 : Double($0.completion.count % 2) }
        let batch = try rollout.items(try rollout.scored(groups, rewards: rewards), trainer: trainer)
        let metrics = try trainer.step(batch.items)
        #expect(metrics.applied && metrics.step == 1 && metrics.items == 2)
        #expect(batch.stats.meanCompletionLength! > 0)
    }
}

/// The data order: a seeded shuffle taken `perStep` at a time, wrapping around.
@Suite struct ExampleScheduleTests {
    @Test func coversTheDatasetInASeededOrder() throws {
        let schedule = try ExampleSchedule(count: 5, perStep: 2, seed: 9)
        #expect(Set(schedule.order) == Set(0..<5))
        #expect(schedule.batch(step: 0) == Array(schedule.order[0..<2]))
        #expect(schedule.batch(step: 2) == [schedule.order[4], schedule.order[0]])
        #expect(try ExampleSchedule(count: 5, perStep: 2, seed: 9) == schedule)
        #expect(throws: AlignmentError.self) { try ExampleSchedule(count: 0, perStep: 1, seed: 0) }
    }
}

/// The whole step as one call (what runs and the API's fresh-prompt steps use), and group advantages for display.
@Suite struct RolloutStepTests {
    @Test func oneCallSamplesScoresAndUpdates() async throws {
        let rollout = try RolloutTests.rollout(AlgorithmConfig(.grao), groupSize: 4)
        let trainer = try RolloutTests.trainer()
        let seen = TestBox(0)
        let result = try #require(try await rollout.step(RolloutTests.examples, trainer: trainer, seed: 3,
                                                         executor: InlineExecutor(), reward: { queries in
            seen.update { $0 += queries.count }
            return queries.map { $0.completion == $0.reference ? 1 : Double($0.completion.count % 2) }
        }))
        #expect(seen.get() == 10, "2 groups × (4 samples + the reference)")
        #expect(result.groups.count == 2 && result.metrics.applied && trainer.optimizer.step == 1)
        #expect(result.stats.samples == 8 && result.stats.seconds >= 0)
        // Abandoned after the rewards: the weights are not touched.
        let skipped = try await rollout.step(RolloutTests.examples, trainer: trainer, seed: 4, executor: InlineExecutor(),
                                             reward: { $0.map { _ in 1 } }, proceed: { false })
        #expect(skipped == nil && trainer.optimizer.step == 1)
    }

    @Test func advantagesFollowTheAlgorithm() throws {
        let rollout = try RolloutTests.rollout(AlgorithmConfig(.grao))
        let group = try RolloutTests.groups(rollout)[0]
        let scored = try ScoredGroup(group: group, sampleRewards: [1, nil, 0], referenceReward: 1)
        let grao = scored.advantages(AlgorithmConfig(.grao))
        #expect(grao.samples[1] == nil && grao.reference != nil && abs(grao.mean - 2.0 / 3.0) < 1e-12)
        let grpo = scored.advantages(AlgorithmConfig(.grpo))
        #expect(grpo.reference == nil && grpo.mean == 0.5)
    }
}
