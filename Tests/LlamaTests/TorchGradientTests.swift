import Foundation
import GGUF
import Testing
@testable import LinearAlgebra
@testable import Llama

/// The backward pass against PyTorch autograd on the same tiny model (Fixtures/grad_reference.gguf, made by
/// tools/fixtures/make_grad_fixtures.py: transformers' LlamaForCausalLM in float64, q/k un-permuted, rotate-half
/// RoPE). The file holds the model as llama.cpp would store it and torch's gradient of every tensor in the same
/// layout. Tolerances: log-probs 1e-5 absolute (f32 forward of O(1) logits); gradients 1e-4 of each tensor's
/// largest entry (f32 accumulation over a few hundred terms, against a float64 reference).
@Suite struct TorchGradientTests {
    static func fixture() throws -> GGUFFile {
        guard let url = Bundle.module.url(forResource: "grad_reference", withExtension: "gguf", subdirectory: "Fixtures")
        else { throw LlamaError.invalidRequest("Fixtures/grad_reference.gguf missing") }
        return try GGUFFile(path: url.path)
    }

    @Test func gradientsMatchPyTorch() throws {
        let file = try Self.fixture()
        let model = try LlamaModel(gguf: file)
        let cfg = model.config
        #expect(cfg.tiedOutput && cfg.kvHeadCount < cfg.headCount)
        let promptLengths = try file.metadata.intArray("grad.prompt_lengths")
        let completionLengths = try file.metadata.intArray("grad.completion_lengths")
        let tokens = try file.metadata.intArray("grad.tokens")
        var pairs: [ScoringPair] = [], offset = 0
        for (p, c) in zip(promptLengths, completionLengths) {
            pairs.append(ScoringPair(prompt: Array(tokens[offset..<offset + p]),
                                     completion: Array(tokens[offset + p..<offset + p + c])))
            offset += p + c
        }
        let batch = try TrainingBatch(pairs: pairs, config: cfg)
        let weights = try file.metadata.floatArray("grad.weights")
        let torchLogProbs = try file.metadata.floatArray("grad.logprobs")

        let activations = TrainingActivations()
        let logProbs = try model.trainingForward(batch, activations: activations, chunkRows: 3)
        #expect(logProbs.count == torchLogProbs.count)
        for (a, b) in zip(logProbs, torchLogProbs) { #expect(abs(a - b) < 1e-5) }
        let loss = zip(logProbs, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(loss - Double(try file.metadata.float("grad.loss"))) < 1e-4)

        let gradients = LlamaGradients(config: cfg)
        try model.trainingBackward(batch, targetWeights: weights, activations: activations, gradients: gradients)

        /// Our gradient of GGUF tensor `name` ([out][in] order), read out of the fused buffers.
        func ours(_ name: String) -> [Float] {
            let c = cfg.width, qd = cfg.queryWidth, kvd = cfg.kvWidth, f = cfg.ffnWidth
            if name == "token_embd.weight" { return gradients.tokenEmbedding.array }
            if name == "output_norm.weight" { return gradients.outputNorm.array }
            let parts = name.split(separator: ".")
            let g = gradients.layers[Int(parts[1])!]
            func rows(_ b: FloatBuffer, from row: Int, count: Int, width: Int) -> [Float] {
                Array(b.array[(row * width)..<((row + count) * width)])
            }
            switch String(parts[2]) {
            case "attn_norm": return g.attentionNorm.array
            case "ffn_norm": return g.ffnNorm.array
            case "attn_q": return rows(g.qkv, from: 0, count: qd, width: c)
            case "attn_k": return rows(g.qkv, from: qd, count: kvd, width: c)
            case "attn_v": return rows(g.qkv, from: qd + kvd, count: kvd, width: c)
            case "attn_output": return g.attentionOutput.array
            case "ffn_gate": return rows(g.gateUp, from: 0, count: f, width: c)
            case "ffn_up": return rows(g.gateUp, from: f, count: f, width: c)
            case "ffn_down": return g.down.array
            default: return []
            }
        }
        let names = file.tensors.map(\.name).filter { $0.hasPrefix("grad.") }
        #expect(names.count == 2 + 9 * cfg.layerCount)
        for name in names {
            let modelName = String(name.dropFirst("grad.".count))
            let expected = try file.dequantize(file.requireTensor(named: name))
            let got = ours(modelName)
            #expect(got.count == expected.count, "\(modelName)")
            let scale = expected.map { abs($0) }.max() ?? 0
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(scale > 0 && worst <= 1e-4 * scale, "\(modelName): max |ours - torch| = \(worst), largest \(scale)")
        }
    }
}
