import Foundation
import GGUF
import Testing
@testable import Alignment
@testable import Llama

/// A LoRA adapter trained here, saved in PEFT's layout, and read back. With GRAO_PEFT_EXPORT=DIR the adapter
/// and the log-probs it gives are written to DIR for tools/fixtures/check_peft_adapter.py, which loads the
/// adapter with peft on the Hugging Face model (same tiny GGUF: Tests/LlamaTests/Fixtures/grad_reference.gguf)
/// and compares log-probs.
@Suite struct PEFTExportTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LlamaTests/Fixtures/grad_reference.gguf").path

    @Test func adapterRoundTripsThroughPEFTLayout() throws {
        let file = try GGUFFile(path: Self.fixture)
        let model = try LlamaModel(gguf: file)
        let trainer = try PolicyTrainer(model: model, config: TrainerConfig(
            mode: .lora(LoRAConfig(rank: 4, alpha: 8)), optimizer: AdamW.Config(weightDecay: 0),
            schedule: LearningRateSchedule(peak: 5e-2), maxGradNorm: nil))
        let pairs = [ScoringPair(prompt: [1, 2, 3], completion: [4, 5, 6, 7]), ScoringPair(prompt: [9, 8], completion: [10, 60, 2])]
        for _ in 0..<3 {  // move every adapter matrix (B starts at 0) so the export check is not trivial
            _ = try trainer.step(pairs.map { ObjectiveItem.sft(prompt: $0.prompt, reference: $0.completion) })
        }
        let logProbs = try trainer.policyLogProbs(pairs)
        #expect(logProbs != (try trainer.referenceLogProbs(pairs)))
        let dir = ProcessInfo.processInfo.environment["GRAO_PEFT_EXPORT"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("grao-peft-\(UUID().uuidString)").path
        try Checkpoint.save(trainer, to: dir, objective: "sft", baseModelSHA256: SHA256.hex(ofFile: Self.fixture),
                            includeOptimizer: false)
        let expected: [String: Any] = ["pairs": pairs.map { ["prompt": $0.prompt, "completion": $0.completion] },
                                       "logprobs": logProbs.map { $0.map(Double.init) }]
        try JSONSerialization.data(withJSONObject: expected).write(to: URL(fileURLWithPath: dir + "/expected_logprobs.json"))

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json")))
            as? [String: Any]
        #expect(config?["peft_type"] as? String == "LORA" && config?["r"] as? Int == 4)
        let names = try SafeTensors.parse(Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_model.safetensors"))).tensors.keys
        #expect(names.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"))
        #expect(names.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"))
        #expect(names.count == 2 * 7 * model.config.layerCount)

        let reloaded = try PolicyTrainer(model: try LlamaModel(gguf: file), config: trainer.config)
        try Checkpoint.load(into: reloaded, from: dir, baseModelSHA256: SHA256.hex(ofFile: Self.fixture))
        #expect(try reloaded.policyLogProbs(pairs) == logProbs)
    }

    @Test func rowPermutationMatchesLlamaCpp() {
        // llama.cpp's converter maps HF row h·HD + j·HD/2 + i to h·HD + 2i + j; ours must invert it.
        let hd = 8
        for h in 0..<2 { for j in 0..<2 { for i in 0..<(hd / 2) {
            #expect(PEFTAdapter.huggingFaceRow(h * hd + 2 * i + j, headDim: hd) == h * hd + j * hd / 2 + i)
        } } }
    }
}
