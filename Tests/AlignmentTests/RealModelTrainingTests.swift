import Foundation
import GGUF
import Testing
@testable import Alignment
@testable import Llama

/// The real SmolLM2-135M: a few SFT steps on one small batch lower its loss, for full fine-tuning and LoRA.
/// Disabled when models/SmolLM2-135M-Instruct.Q4_1.gguf is absent (scripts/fetch-model.sh gets it).
@Suite struct RealModelTrainingTests {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }()

    @Test(.enabled(if: FileManager.default.fileExists(atPath: path), "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"),
          arguments: ["full", "lora"])
    func lossDecreasesOverAFewSteps(mode: String) throws {
        let model = try LlamaModel(gguf: GGUFFile(path: Self.path))
        let trainer = try PolicyTrainer(model: model, config: TrainerConfig(
            mode: mode == "full" ? .full : .lora(LoRAConfig(rank: 8, alpha: 16)),
            optimizer: AdamW.Config(weightDecay: 0), schedule: LearningRateSchedule(peak: mode == "full" ? 1e-5 : 1e-3)))
        // Two fixed sequences (token ids of ordinary text), trained with SFT on their continuations.
        let items = [ObjectiveItem.sft(prompt: [1, 4093, 198], reference: [504, 3575, 282, 4649, 314, 7042, 30, 2]),
                     ObjectiveItem.sft(prompt: [1, 4093, 198, 40, 1118], reference: [253, 1934, 2234, 28, 2])]
        var losses: [Double] = []
        for _ in 0..<4 {
            let metrics = try trainer.step(items)
            #expect(metrics.applied && metrics.gradNorm.isFinite)
            losses.append(metrics.loss)
        }
        #expect(losses.last! < losses.first! - 0.1, "loss per step: \(losses)")
    }
}
