import GGUF
import Testing
@testable import LinearAlgebra
@testable import Llama

/// The quantized twin of a GGUF model's projections (decode-size products read Q4_1 / Q8_0 blocks): its values equal
/// the f32 weights bit for bit, so decoding through it gives exactly the f32 path's outputs (the same small-batch
/// kernel runs on the same values); it is retired before training can write the weights.
@Suite struct QuantizedWeightsTests {
    /// Tiny shapes whose widths are whole 32-value blocks: width 64, 4 query heads of 16 over 2 KV heads, FFN 96.
    static let config = LlamaConfig(layerCount: 2, width: 64, headCount: 4, kvHeadCount: 2, headDim: 16, ffnWidth: 96,
                                    vocabSize: 61, contextLength: 64, ropeBase: 10000, normEpsilon: 1e-5,
                                    tiedOutput: true)

    /// A tiny random Llama GGUF as llama.cpp's Q4_1 files are: projections Q4_1 (quantized by `GGUFWriter`), token
    /// embedding (= tied head) Q8_0, norms F32.
    static func quantizedFile() throws -> GGUFFile {
        let cfg = config, c = cfg.width, f = cfg.ffnWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        var random = SeededRandom(seed: 5)
        func values(_ n: Int, scale: Double = 0.5) -> [Float] { (0..<n).map { _ in Float((random.nextUnit() - 0.5) * scale) } }
        var writer = try GGUFWriter()
        for (key, value): (String, GGUFValue) in [
            ("general.architecture", .string("llama")), ("llama.block_count", .uint32(UInt32(cfg.layerCount))),
            ("llama.context_length", .uint32(UInt32(cfg.contextLength))), ("llama.embedding_length", .uint32(UInt32(c))),
            ("llama.feed_forward_length", .uint32(UInt32(f))),
            ("llama.attention.head_count", .uint32(UInt32(cfg.headCount))),
            ("llama.attention.head_count_kv", .uint32(UInt32(cfg.kvHeadCount))),
            ("llama.rope.freq_base", .float32(cfg.ropeBase)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(cfg.normEpsilon)),
        ] { try writer.set(key, value) }
        try writer.addTensor(name: "token_embd.weight", dims: [c, cfg.vocabSize], type: .q8_0,
                             values: values(c * cfg.vocabSize, scale: 2))
        try writer.addTensor(name: "output_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
        for l in 0..<cfg.layerCount {
            let b = "blk.\(l)."
            try writer.addTensor(name: b + "attn_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
            try writer.addTensor(name: b + "ffn_norm.weight", dims: [c], type: .f32, values: values(c).map { 1 + $0 })
            for (name, dims) in [("attn_q", [c, qd]), ("attn_k", [c, kvd]), ("attn_v", [c, kvd]), ("attn_output", [qd, c]),
                                 ("ffn_gate", [c, f]), ("ffn_up", [c, f]), ("ffn_down", [f, c])] {
                try writer.addTensor(name: b + name + ".weight", dims: dims, type: .q4_1, values: values(dims[0] * dims[1]))
            }
        }
        return try GGUFFile(bytes: writer.serialize())
    }

    /// The same f32 buffers without the twin: every product reads the f32 weights.
    static func f32Only(_ model: LlamaModel) throws -> LlamaModel {
        let w = model.weights
        return try LlamaModel(config: model.config, weights: LlamaWeights(
            config: model.config, tokenEmbedding: w.tokenEmbedding, layers: w.layers, outputNorm: w.outputNorm,
            output: w.output))
    }

    /// Every quantized matrix, dequantized, equals the f32 buffer loaded from the same tensors, bit for bit.
    static func expectTwinEqualsWeights(_ model: LlamaModel) throws {
        let q = try #require(model.weights.quantized)
        var pairs: [(String, QuantizedMatrix?, FloatBuffer)] = [("output", q.output, model.weights.output)]
        for (l, (ql, w)) in zip(q.layers, model.weights.layers).enumerated() {
            pairs += [("blk.\(l).qkv", ql.qkv, w.qkv), ("blk.\(l).attn_output", ql.attentionOutput, w.attentionOutput),
                      ("blk.\(l).gate_up", ql.gateUp, w.gateUp), ("blk.\(l).ffn_down", ql.down, w.down)]
        }
        for (name, matrix, buffer) in pairs {
            let m = try #require(matrix, "\(name) has no quantized twin")
            let values = FloatBuffer(count: m.rows * m.columns)
            m.dequantize(rows: 0..<m.rows, into: values.pointer)
            #expect(values.count == buffer.count, "\(name)")
            let same = (0..<buffer.count).allSatisfy { values.pointer[$0].bitPattern == buffer.pointer[$0].bitPattern }
            #expect(same, "\(name): twin differs from the f32 weights")
        }
    }

    /// Hidden states and logits of a prefill then decode steps of 1, 3 and 16 sequences, as bit patterns.
    static func decodeOutputs(_ model: LlamaModel) throws -> [[UInt32]] {
        var out: [[UInt32]] = []
        let prompt = try model.makeCache(capacity: 5)
        out.append(TinyModels.logits(model, try model.forward([BatchEntry(cache: prompt, tokens: [3, 14, 15, 9, 2])]))
            .flatMap { $0.map(\.bitPattern) })
        for g in [1, 3, 16] {
            let caches = try (0..<g).map { _ in try prompt.fork(config: model.config, capacity: 4) }
            for step in 0..<4 {
                let entries = caches.enumerated().map { BatchEntry(cache: $1, tokens: [(7 * $0 + 11 * step) % 61]) }
                out.append(TinyModels.logits(model, try model.forward(entries)).flatMap { $0.map(\.bitPattern) })
            }
        }
        return out
    }

    @Test func tinyQuantizedModelDecodesExactlyAsF32() throws {
        let model = try LlamaModel(gguf: try Self.quantizedFile())
        try Self.expectTwinEqualsWeights(model)
        let plain = try Self.f32Only(model)
        #expect(model.weights.quantized(forRows: 16) != nil && plain.weights.quantized(forRows: 1) == nil)
        #expect(try Self.decodeOutputs(model) == (try Self.decodeOutputs(plain)))
        let request = GenerationRequest(prompt: [1, 2, 3], sampleCount: 3, maxTokens: 12,
                                        sampling: SamplingParameters(temperature: 0.8), seed: 9)
        let fast = try model.generate([request], endOfSequence: [])[0]
        let slow = try plain.generate([request], endOfSequence: [])[0]
        #expect(fast.map(\.tokens) == slow.map(\.tokens))
        #expect(fast.map { $0.logProbs.map(\.bitPattern) } == slow.map { $0.logProbs.map(\.bitPattern) })
    }

    /// More rows than `quantizedRowLimit` read the f32 weights (BLAS), so prefill is unchanged.
    @Test func manyRowsUseF32() throws {
        let model = try LlamaModel(gguf: try Self.quantizedFile())
        #expect(model.weights.quantized(forRows: Linear.quantizedRowLimit) != nil)
        #expect(model.weights.quantized(forRows: Linear.quantizedRowLimit + 1) == nil)
    }

    /// Asking for the trainable tensors retires the twin before anything can be written; a change to the f32
    /// weights afterwards shows in decode outputs exactly as in a model that never had a twin.
    @Test func trainingAccessRetiresTheTwin() throws {
        let model = try LlamaModel(gguf: try Self.quantizedFile())
        let before = try Self.decodeOutputs(model)
        let tensors = model.weights.trainableTensors(tied: true)
        #expect(model.weights.quantized?.isValid == false)
        #expect(model.weights.quantized(forRows: 1) == nil)
        for (name, buffer) in tensors where name.hasSuffix("gate_up") || name == "token_embd" {
            for i in stride(from: 0, to: buffer.count, by: 3) { buffer.pointer[i] *= 1.5 }
        }
        let after = try Self.decodeOutputs(model)
        #expect(after != before)
        #expect(after == (try Self.decodeOutputs(Self.f32Only(model))))
    }

    @Test(.enabled(if: FixturePaths.realModelPresent, "models/SmolLM2-135M-Instruct.Q4_1.gguf is absent: run scripts/setup.sh"))
    func realModelTwinEqualsWeights() throws {
        try Self.expectTwinEqualsWeights(try RealModel.model())
    }

    /// The real model decodes 4 samples of a prompt to the same tokens and bit-identical log-probs through the
    /// twin as through the f32 weights.
    @Test(.enabled(if: FixturePaths.realModelPresent, "models/SmolLM2-135M-Instruct.Q4_1.gguf is absent: run scripts/setup.sh"))
    func realModelDecodesExactlyAsF32() throws {
        let model = try RealModel.model()
        let plain = try Self.f32Only(model)
        let request = GenerationRequest(prompt: [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308],
                                        sampleCount: 4, maxTokens: 16, sampling: SamplingParameters(temperature: 1),
                                        seed: 3)
        let fast = try model.generate([request], endOfSequence: [])[0]
        let slow = try plain.generate([request], endOfSequence: [])[0]
        #expect(fast.map(\.tokens) == slow.map(\.tokens))
        #expect(fast.map { $0.logProbs.map(\.bitPattern) } == slow.map { $0.logProbs.map(\.bitPattern) })
    }
}
