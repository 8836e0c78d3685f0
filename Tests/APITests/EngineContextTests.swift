import Alignment
import Testing
@testable import API
import Llama

/// `EngineContext.policyVersion`: the same number exactly when `policy` has the same weights, whatever the
/// step numbers say (they restart with every trainer, so a replaced trainer used to look "fresh").
@Suite struct EngineContextTests {
    static func trainer(_ context: EngineContext, _ mode: TrainingMode) throws -> PolicyTrainer {
        try PolicyTrainer(model: context.model, config: TrainerConfig(mode: mode, schedule: LearningRateSchedule(peak: 1e-3)))
    }

    /// One applied SFT step on a fixed pair.
    static func step(_ trainer: PolicyTrainer) throws {
        let metrics = try trainer.step([ObjectiveItem.sft(prompt: [1, 2, 3], reference: [4, 5, 6])])
        #expect(metrics.applied)
    }

    @Test func versionFollowsTheWeightsAcrossTrainers() throws {
        let context = try TinyModel.context()
        #expect(context.policyVersion == 0)  // as loaded
        // Fresh LoRA adapters (B = 0) are the base policy; an update is not.
        let lora = try Self.trainer(context, .lora(LoRAConfig(rank: 2, alpha: 4)))
        context.trainer = lora
        #expect(context.policyVersion == 0)
        try Self.step(lora)
        let afterLoRA = context.policyVersion
        #expect(afterLoRA != 0)
        // A second trainer restarts the step count at 0, which is what used to hide stale groups.
        let second = try Self.trainer(context, .lora(LoRAConfig(rank: 2, alpha: 4)))
        context.trainer = second
        #expect(context.step == 0 && context.policyVersion == 0)
        try Self.step(second)
        #expect(context.step == 1 && context.policyVersion != afterLoRA && context.policyVersion != 0)
        // Dropping a LoRA trainer leaves the base model as it was.
        context.trainer = nil
        #expect(context.policyVersion == 0)
        // Full fine-tuning changes the base model in place: the change outlives the trainer, and fresh
        // adapters over the changed base are that policy.
        let full = try Self.trainer(context, .full)
        context.trainer = full
        #expect(context.policyVersion == 0)
        try Self.step(full)
        let afterFull = context.policyVersion
        #expect(afterFull != 0 && afterFull != afterLoRA)
        context.trainer = try Self.trainer(context, .lora(LoRAConfig(rank: 2, alpha: 4)))
        #expect(context.policyVersion == afterFull)
        context.trainer = nil
        #expect(context.policyVersion == afterFull)
    }

    /// A skipped step (non-finite values) leaves the weights and so the version alone.
    @Test func skippedStepsKeepTheVersion() throws {
        let context = try TinyModel.context()
        let trainer = try Self.trainer(context, .lora(LoRAConfig(rank: 2, alpha: 4)))
        context.trainer = trainer
        try Self.step(trainer)
        let version = context.policyVersion
        let item = ObjectiveItem(sequences: [ScoringPair(prompt: [1, 2], completion: [3])]) { logProbs, _ in
            ObjectiveOutput(loss: .nan, tokenWeights: logProbs.map { $0.map { _ in Float.nan } })
        }
        let skipped = try trainer.step([item])
        #expect(!skipped.applied && context.policyVersion == version)
    }
}
