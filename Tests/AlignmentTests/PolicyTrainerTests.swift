import Testing
@testable import Alignment
@testable import LinearAlgebra
@testable import Llama

/// Update steps on tiny random models: GRAO's sanity properties (DESIGN.md §2), split-invariant gradient
/// accumulation, skipped non-finite steps, LoRA leaving the base alone, and the reference policies.
@Suite struct PolicyTrainerTests {
    static func model(seed: UInt64 = 1) throws -> LlamaModel {
        let cfg = LlamaConfig(layerCount: 2, width: 32, headCount: 4, kvHeadCount: 2, headDim: 8, ffnWidth: 48,
                              vocabSize: 61, contextLength: 64, ropeBase: 10000, normEpsilon: 1e-5, tiedOutput: true)
        return try LlamaModel(config: cfg, weights: LlamaWeights.random(config: cfg, seed: seed, scale: 0.3))
    }

    /// Plain AdamW without decay or clipping, so that only the objective moves the weights.
    static func trainer(_ model: LlamaModel, mode: TrainingMode = .full, learningRate: Double = 1e-3,
                        microBatchTokens: Int = 4096) throws -> PolicyTrainer {
        try PolicyTrainer(model: model, config: TrainerConfig(
            mode: mode, optimizer: AdamW.Config(weightDecay: 0), schedule: LearningRateSchedule(peak: learningRate),
            maxGradNorm: nil, microBatchTokens: microBatchTokens, chunkRows: 5))
    }

    static let prompt = [1, 2, 3, 4]
    static let samples = [[10, 11, 12, 2], [20, 21, 2], [30, 31, 32, 33, 2]]
    static let reference = [40, 41, 2]

    static func meanLogProb(_ trainer: PolicyTrainer, _ completion: [Int]) throws -> Double {
        SequenceLikelihood.mean(try trainer.policyLogProbs([ScoringPair(prompt: prompt, completion: completion)])[0])
    }

    static func graoItem(_ rewards: [Double?], referenceReward: Double?) -> ObjectiveItem {
        .grao(prompt: prompt, samples: samples, sampleRewards: rewards, reference: reference,
              referenceReward: referenceReward, objective: GRAOObjective())
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func advantageSignsMoveLikelihoods(seed: UInt64) throws {
        let trainer = try Self.trainer(try Self.model(seed: seed))
        let before = try Self.samples.map { try Self.meanLogProb(trainer, $0) }
        // Sample 0 wins, sample 2 loses; the middle sample and y sit at the group mean (A = 0).
        let metrics = try trainer.step([Self.graoItem([1, 0.5, 0], referenceReward: 0.5)])
        #expect(metrics.applied && metrics.step == 1)
        let after = try Self.samples.map { try Self.meanLogProb(trainer, $0) }
        #expect(after[0] > before[0], "positive advantage must raise l(o): \(before[0]) -> \(after[0])")
        #expect(after[2] < before[2], "negative advantage must lower l(o): \(before[2]) -> \(after[2])")
        #expect(metrics.terms["exploration"] != nil && metrics.terms["imitation"] != nil && metrics.terms["alignment"] != nil)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everySampleLosingRaisesTheReference(seed: UInt64) throws {
        let trainer = try Self.trainer(try Self.model(seed: seed))
        let before = try Self.meanLogProb(trainer, Self.reference)
        _ = try trainer.step([Self.graoItem([0, 0, 0], referenceReward: 1)])
        let after = try Self.meanLogProb(trainer, Self.reference)
        #expect(after > before, "l(y) \(before) -> \(after)")
    }

    @Test func tiedGroupContributesNothing() throws {
        let model = try Self.model()
        let trainer = try Self.trainer(model)
        let before = model.weights.trainableTensors(tied: true).map(\.buffer.array)
        let metrics = try trainer.step([Self.graoItem([0.5, 0.5, 0.5], referenceReward: 0.5)])
        #expect(metrics.gradNorm == 0)
        #expect(metrics.terms["zero_variance_groups"] == 1)
        #expect(metrics.loss == 0)
        #expect(model.weights.trainableTensors(tied: true).map(\.buffer.array) == before)
    }

    @Test(arguments: [TrainingMode.full, .lora(LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v, .down]))])
    func accumulationDoesNotDependOnTheSplit(mode: TrainingMode) throws {
        let items = [Self.graoItem([1, 0.5, 0], referenceReward: 0.5), Self.graoItem([0, 0, 1], referenceReward: 1),
                     .sft(prompt: [7, 8], reference: [9, 10, 2])]
        var results: [[[Float]]] = [], metrics: [StepMetrics] = []
        for budget in [4096, 1] {  // one micro-batch, then one per item
            let model = try Self.model()
            let trainer = try Self.trainer(model, mode: mode, microBatchTokens: budget)
            if trainer.adapters != nil {  // non-zero B so that every adapter tensor gets a gradient
                for t in trainer.adapters!.tensors where t.name.hasSuffix("lora_b") {
                    for i in 0..<t.buffer.count { t.buffer.pointer[i] = Float(i % 7) * 0.01 - 0.03 }
                }
                try trainer.weightsChanged()
            }
            metrics.append(try trainer.step(items))
            results.append(trainer.parameterTensors.map(\.buffer.array))
        }
        #expect(metrics[0].microBatches == 1 && metrics[1].microBatches == 3)
        #expect(abs(metrics[0].loss - metrics[1].loss) <= 1e-6 * abs(metrics[0].loss))
        #expect(abs(metrics[0].gradNorm - metrics[1].gradNorm) <= 1e-5 * metrics[0].gradNorm)
        // AdamW's first step is ±lr per element wherever the gradient is clearly non-zero, so equal steps
        // mean equal weights; f32 summation order only matters where a gradient is ~0.
        var worst: Float = 0
        for (a, b) in zip(results[0], results[1]) { for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) } }
        #expect(worst <= 2e-5, "max weight difference between splits \(worst)")
    }

    @Test func nonFiniteStepIsSkippedAndLeavesEverythingUntouched() throws {
        let model = try Self.model()
        let trainer = try Self.trainer(model)
        _ = try trainer.step([Self.graoItem([1, 0.5, 0], referenceReward: 0.5)])
        let weights = model.weights.trainableTensors(tied: true).map(\.buffer.array)
        let moments = (trainer.optimizer.firstMoments, trainer.optimizer.secondMoments, trainer.optimizer.step)
        let poisoned = ObjectiveItem(sequences: [ScoringPair(prompt: [1], completion: [2, 3])]) { logProbs, _ in
            ObjectiveOutput(loss: .nan, tokenWeights: logProbs.map { $0.map { _ in Float.nan } })
        }
        let metrics = try trainer.step([Self.graoItem([1, 0, 0], referenceReward: 0), poisoned])
        #expect(!metrics.applied && metrics.skipReason != nil && metrics.step == 1)
        #expect(trainer.skippedSteps == 1)
        #expect(model.weights.trainableTensors(tied: true).map(\.buffer.array) == weights)
        #expect(trainer.optimizer.firstMoments == moments.0 && trainer.optimizer.secondMoments == moments.1)
        #expect(trainer.optimizer.step == moments.2)
        // The next healthy step applies normally.
        #expect(try trainer.step([Self.graoItem([1, 0, 0], referenceReward: 0)]).applied)
    }

    @Test func loraTrainsOnlyAdaptersAndKeepsTheBaseAsReference() throws {
        let model = try Self.model()
        let base = model.weights.trainableTensors(tied: true).map(\.buffer.array)
        let trainer = try Self.trainer(model, mode: .lora(LoRAConfig(rank: 4, alpha: 8)), learningRate: 1e-2)
        let pairs = [ScoringPair(prompt: Self.prompt, completion: Self.reference)]
        let start = try trainer.policyLogProbs(pairs)
        #expect(start == (try trainer.referenceLogProbs(pairs)), "fresh adapters (B = 0) leave the policy unchanged")
        let before = try Self.meanLogProb(trainer, Self.reference)
        for _ in 0..<3 { _ = try trainer.step([Self.graoItem([0, 0, 0], referenceReward: 1)]) }
        #expect(try Self.meanLogProb(trainer, Self.reference) > before)
        #expect(model.weights.trainableTensors(tied: true).map(\.buffer.array) == base, "base weights frozen")
        #expect(try trainer.referenceLogProbs(pairs) == start, "reference = base with adapters off")
        // The merged sampling policy equals the adapted training forward.
        let batch = try TrainingBatch(pairs: pairs, config: model.config)
        let adapted = try model.trainingForward(batch, adapters: trainer.adapters, activations: TrainingActivations())
        for (a, b) in zip(adapted, try trainer.policyLogProbs(pairs)[0]) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func fullFineTuningReferenceIsAFrozenCopy() throws {
        let model = try Self.model()
        let trainer = try Self.trainer(model)
        let pairs = [ScoringPair(prompt: Self.prompt, completion: Self.reference)]
        let start = try trainer.referenceLogProbs(pairs)  // freezes the starting weights
        _ = try trainer.step([Self.graoItem([0, 0, 0], referenceReward: 1)])
        #expect(try trainer.referenceLogProbs(pairs) == start)
        #expect(try trainer.policyLogProbs(pairs) != start)
    }

    @Test func dpoStepPrefersTheChosenAnswer() throws {
        let trainer = try Self.trainer(try Self.model())
        let chosen = Self.samples[0], rejected = Self.samples[1]
        let ref = try trainer.referenceLogProbs([ScoringPair(prompt: Self.prompt, completion: chosen),
                                                 ScoringPair(prompt: Self.prompt, completion: rejected)])
        let item = ObjectiveItem.dpo(prompt: Self.prompt, chosen: chosen, rejected: rejected,
                                     chosenReferenceLogProb: SequenceLikelihood.sum(ref[0]),
                                     rejectedReferenceLogProb: SequenceLikelihood.sum(ref[1]), objective: DPOObjective())
        let margin0 = try Self.meanLogProb(trainer, chosen) - Self.meanLogProb(trainer, rejected)
        _ = try trainer.step([item])
        #expect(try Self.meanLogProb(trainer, chosen) - Self.meanLogProb(trainer, rejected) > margin0)
    }
}
