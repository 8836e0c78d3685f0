import GGUF
import Testing
@testable import Alignment
@testable import LinearAlgebra
@testable import Llama

/// A model loaded from a quantized GGUF decodes from the file's blocks (`QuantizedWeights`) only while its f32
/// weights are the ones loaded: full fine-tuning retires the blocks before its first update, so the trained policy
/// decodes exactly as a model that never had them; LoRA leaves the base (its reference policy) untouched.
@Suite struct PolicyTrainerQuantizedTests {
    /// Tiny Llama with Q4_1 projections and a Q8_0 tied embedding, widths in whole 32-value blocks.
    static func quantizedModel() throws -> LlamaModel {
        let c = 64, f = 96, v = 61, layers = 2, qd = 64, kvd = 32
        var random = SeededRandom(seed: 11)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(random.nextUnit() - 0.5) } }
        var writer = try GGUFWriter()
        for (key, value): (String, GGUFValue) in [
            ("general.architecture", .string("llama")), ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.context_length", .uint32(64)), ("llama.embedding_length", .uint32(UInt32(c))),
            ("llama.feed_forward_length", .uint32(UInt32(f))), ("llama.attention.head_count", .uint32(4)),
            ("llama.attention.head_count_kv", .uint32(2)), ("llama.rope.freq_base", .float32(10000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
        ] { try writer.set(key, value) }
        try writer.addTensor(name: "token_embd.weight", dims: [c, v], type: .q8_0, values: values(c * v))
        try writer.addTensor(name: "output_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
        for l in 0..<layers {
            let b = "blk.\(l)."
            try writer.addTensor(name: b + "attn_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
            try writer.addTensor(name: b + "ffn_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
            for (name, dims) in [("attn_q", [c, qd]), ("attn_k", [c, kvd]), ("attn_v", [c, kvd]), ("attn_output", [qd, c]),
                                 ("ffn_gate", [c, f]), ("ffn_up", [c, f]), ("ffn_down", [f, c])] {
                try writer.addTensor(name: b + name + ".weight", dims: dims, type: .q4_1, values: values(dims[0] * dims[1]))
            }
        }
        return try LlamaModel(gguf: try GGUFFile(bytes: writer.serialize()))
    }

    /// Log-probs of 3 sampled continuations, as bit patterns (decode steps of 3 rows: the quantized path's size).
    static func samples(_ model: LlamaModel) throws -> [[UInt32]] {
        let request = GenerationRequest(prompt: [1, 2, 3], sampleCount: 3, maxTokens: 8,
                                        sampling: SamplingParameters(temperature: 1), seed: 4)
        return try model.generate([request], endOfSequence: [])[0].map { $0.logProbs.map(\.bitPattern) + $0.tokens.map(UInt32.init) }
    }

    static func f32Only(_ model: LlamaModel) throws -> LlamaModel {
        let w = model.weights
        return try LlamaModel(config: model.config, weights: LlamaWeights(
            config: model.config, tokenEmbedding: w.tokenEmbedding, layers: w.layers, outputNorm: w.outputNorm,
            output: w.output))
    }

    @Test func fullFineTuningDecodesFromTheUpdatedWeights() throws {
        let model = try Self.quantizedModel()
        #expect(model.weights.quantized?.isValid == true)
        let trainer = try PolicyTrainerTests.trainer(model, learningRate: 1e-2)
        #expect(model.weights.quantized?.isValid == false, "retired before any update")
        let before = try Self.samples(trainer.policy)
        _ = try trainer.step([.sft(prompt: [1, 2, 3], reference: [10, 11, 12, 2])])
        let after = try Self.samples(trainer.policy)
        #expect(after != before, "the update changes what the policy samples")
        #expect(after == (try Self.samples(Self.f32Only(model))))
    }

    @Test func loraKeepsTheBaseBlocks() throws {
        let model = try Self.quantizedModel()
        let trainer = try PolicyTrainerTests.trainer(model, mode: .lora(LoRAConfig(rank: 4, alpha: 8)), learningRate: 1e-2)
        _ = try trainer.step([.sft(prompt: [1, 2, 3], reference: [10, 11, 12, 2])])
        #expect(model.weights.quantized?.isValid == true, "LoRA never writes the base weights")
        #expect(trainer.policy.weights.quantized == nil, "the merged policy is new f32 weights")
        #expect(try Self.samples(trainer.referencePolicy()) == (try Self.samples(Self.f32Only(model))))
    }
}
