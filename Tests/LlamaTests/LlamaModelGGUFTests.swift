import GGUF
import Testing
@testable import LinearAlgebra
@testable import Llama

/// Loading from GGUF: a tiny random model written as a real file (F32, so values round-trip
/// exactly), read back, and compared weight by weight with the stored [out][in] arrays (fused
/// matrices are their parts' rows stacked). Metadata errors name the key.
@Suite struct LlamaModelGGUFTests {
    static let config = TinyModels.config(tied: true)

    /// Stored tensors by name, in GGUF layout: row-major [out][in] (dims [in, out]).
    static func tensors(untied: Bool) -> [String: (dims: [Int], values: [Float])] {
        var random = SeededRandom(seed: 42)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(random.nextUnit() - 0.5) } }
        let c = config.width, f = config.ffnWidth, v = config.vocabSize, qd = config.queryWidth, kvd = config.kvWidth
        var t: [String: (dims: [Int], values: [Float])] = [
            "token_embd.weight": ([c, v], values(c * v)), "output_norm.weight": ([c], values(c)),
        ]
        if untied { t["output.weight"] = ([c, v], values(c * v)) }
        for l in 0..<config.layerCount {
            let b = "blk.\(l)."
            t[b + "attn_norm.weight"] = ([c], values(c))
            t[b + "ffn_norm.weight"] = ([c], values(c))
            t[b + "attn_q.weight"] = ([c, qd], values(c * qd))
            t[b + "attn_k.weight"] = ([c, kvd], values(c * kvd))
            t[b + "attn_v.weight"] = ([c, kvd], values(c * kvd))
            t[b + "attn_output.weight"] = ([qd, c], values(qd * c))
            t[b + "ffn_gate.weight"] = ([c, f], values(c * f))
            t[b + "ffn_up.weight"] = ([c, f], values(c * f))
            t[b + "ffn_down.weight"] = ([f, c], values(f * c))
        }
        return t
    }

    static func file(untied: Bool = false, skipping: String? = nil,
                     override: (String, GGUFValue)? = nil) throws -> (GGUFFile, [String: (dims: [Int], values: [Float])]) {
        var writer = try GGUFWriter()
        let cfg = config
        var metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")), ("llama.block_count", .uint32(UInt32(cfg.layerCount))),
            ("llama.context_length", .uint32(UInt32(cfg.contextLength))),
            ("llama.embedding_length", .uint32(UInt32(cfg.width))),
            ("llama.feed_forward_length", .uint32(UInt32(cfg.ffnWidth))),
            ("llama.attention.head_count", .uint32(UInt32(cfg.headCount))),
            ("llama.attention.head_count_kv", .uint32(UInt32(cfg.kvHeadCount))),
            ("llama.rope.freq_base", .float32(cfg.ropeBase)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(cfg.normEpsilon)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        if let (key, value) = override { metadata.removeAll { $0.0 == key }; metadata.append((key, value)) }
        for (key, value) in metadata where key != skipping { try writer.set(key, value) }
        let tensors = Self.tensors(untied: untied)
        for name in tensors.keys.sorted() where name != skipping {
            try writer.addTensor(name: name, dims: tensors[name]!.dims, type: .f32, values: tensors[name]!.values)
        }
        return (try GGUFFile(bytes: writer.serialize()), tensors)
    }

    @Test(arguments: [false, true])
    func loadsTransposedAndFusedWeights(untied: Bool) throws {
        let (file, stored) = try Self.file(untied: untied)
        let model = try LlamaModel(gguf: file)
        var expectedConfig = Self.config
        expectedConfig.tiedOutput = !untied
        #expect(model.config == expectedConfig)
        /// Stored values of `name` (GGUF rows [out][in]), which the loaded buffer must equal.
        func stored_(_ name: String) -> [Float] { stored[name]!.values }
        for (l, layer) in model.weights.layers.enumerated() {
            let b = "blk.\(l)."
            #expect(layer.qkv.array == stored_(b + "attn_q.weight") + stored_(b + "attn_k.weight") + stored_(b + "attn_v.weight"))
            #expect(layer.gateUp.array == stored_(b + "ffn_gate.weight") + stored_(b + "ffn_up.weight"))
            #expect(layer.attentionOutput.array == stored_(b + "attn_output.weight"))
            #expect(layer.down.array == stored_(b + "ffn_down.weight"))
            #expect(layer.attentionNorm.array == stored_(b + "attn_norm.weight"))
            #expect(layer.ffnNorm.array == stored_(b + "ffn_norm.weight"))
        }
        #expect(model.weights.tokenEmbedding.array == stored_("token_embd.weight"))
        #expect(model.weights.outputNorm.array == stored_("output_norm.weight"))
        if untied {
            #expect(model.weights.output.array == stored_("output.weight"))
        } else {
            #expect(model.weights.output === model.weights.tokenEmbedding)
        }
        // And it runs: log-probs are finite and negative.
        let lp = try model.completionLogProbs([ScoringPair(prompt: [1, 2], completion: [3, 4])])
        #expect(lp[0].count == 2 && lp[0].allSatisfy { $0.isFinite && $0 < 0 })
    }

    @Test func refusesMissingOrWrongMetadataAndTensors() throws {
        for key in ["llama.block_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
                    "llama.attention.layer_norm_rms_epsilon", "general.architecture"] {
            let (file, _) = try Self.file(skipping: key)
            #expect { try LlamaModel(gguf: file) } throws: { error in
                guard case let LlamaError.metadata(k, _) = error else { return false }
                return k == key
            }
        }
        let (wrongArch, _) = try Self.file(override: ("general.architecture", .string("gpt2")))
        #expect(throws: LlamaError.self) { try LlamaModel(gguf: wrongArch) }
        let (badHeads, _) = try Self.file(override: ("llama.attention.head_count_kv", .uint32(3)))
        #expect(throws: LlamaError.self) { try LlamaModel(gguf: badHeads) }
        let (badType, _) = try Self.file(override: ("llama.block_count", .string("two")))
        #expect(throws: LlamaError.self) { try LlamaModel(gguf: badType) }
        let (missingTensor, _) = try Self.file(skipping: "blk.1.ffn_up.weight")
        #expect(throws: LlamaError.tensor(name: "blk.1.ffn_up.weight", problem: "missing")) { try LlamaModel(gguf: missingTensor) }
        // More layers declared than the file holds.
        let (tooManyLayers, _) = try Self.file(override: ("llama.block_count", .uint32(3)))
        #expect(throws: LlamaError.tensor(name: "blk.2.attn_q.weight", problem: "missing")) { try LlamaModel(gguf: tooManyLayers) }
    }
}
