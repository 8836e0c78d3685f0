import Foundation
import Testing
@testable import GGUF

/// The real SmolLM2-135M-Instruct Q4_1 file: metadata as research/perf-anchors.md §1 lists it (measured there with
/// gguf-py 0.19.0), and the weights decode to plausible values.
@Suite(.enabled(if: RealModel.isPresent, RealModel.skipMessage))
struct RealModelTests {
    @Test func metadataMatchesTheReferenceReader() throws {
        let file = try GGUFFile(path: RealModel.path)
        let m = file.metadata
        #expect(file.byteCount == 98_362_432)
        #expect(file.version == 3 && file.alignment == 32)
        // gguf-dump's "36 key-value pairs" counts its 3 pseudo-fields (GGUF.version, .tensor_count, .kv_count).
        #expect(m.entries.count == 33 && file.tensors.count == 272)
        #expect(try m.string("general.architecture") == "llama")
        #expect(try m.uint32("llama.block_count") == 30)
        #expect(try m.uint32("llama.embedding_length") == 576)
        #expect(try m.uint32("llama.attention.head_count") == 9)
        #expect(try m.uint32("llama.attention.head_count_kv") == 3)
        #expect(try m.uint32("llama.feed_forward_length") == 1536)
        #expect(try m.uint32("llama.context_length") == 8192)
        #expect(try m.uint32("llama.rope.dimension_count") == 64)
        #expect(try m.float("llama.rope.freq_base") == 100_000)
        #expect(try m.float("llama.attention.layer_norm_rms_epsilon") == Float(9.999999747378752e-06))
        #expect(try m.int("general.file_type") == 3)
        #expect(try m.int("general.quantization_version") == 2)
        #expect(try m.string("tokenizer.ggml.model") == "gpt2")
        #expect(try m.string("tokenizer.ggml.pre") == "smollm")
        #expect(try m.stringArray("tokenizer.ggml.tokens").count == 49152)
        #expect(try m.stringArray("tokenizer.ggml.merges").count == 48900)
        #expect(try m.intArray("tokenizer.ggml.token_type").count == 49152)
        #expect(try m.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(try m.int("tokenizer.ggml.eos_token_id") == 2)
        #expect(try m.int("tokenizer.ggml.unknown_token_id") == 0)
        #expect(try m.int("tokenizer.ggml.padding_token_id") == 2)
        #expect(try m.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(try m.string("tokenizer.chat_template").hasPrefix("{% for message in messages %}"))

        let byType = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
        #expect(byType == [.q4_1: 210, .q8_0: 1, .f32: 61])
        #expect(file.tensors.reduce(0) { $0 + $1.elementCount } == 134_515_008)
        #expect(file.tensor(named: "output.weight") == nil)  // tied embeddings
        let down = try file.requireTensor(named: "blk.0.ffn_down.weight")
        #expect(down.dims == [1536, 576] && down.type == .q4_1 && down.rowCount == 576)
    }

    /// Summary statistics of a dequantized tensor.
    static func stats(_ v: [Float]) -> (mean: Double, std: Double, allFinite: Bool, distinct: Int) {
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
        return (mean, variance.squareRoot(), v.allSatisfy(\.isFinite), Set(v.prefix(4096)).count)
    }

    @Test func weightsDequantizeToPlausibleValues() throws {
        let file = try GGUFFile(path: RealModel.path)
        let embedding = try file.requireTensor(named: "token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.dims == [576, 49152])
        let e = Self.stats(try file.dequantize(embedding))
        // Trained embeddings: centred, std of order 0.1, many distinct values.
        #expect(e.allFinite && abs(e.mean) < 0.01 && e.std > 0.02 && e.std < 0.5 && e.distinct > 500, "\(e)")
        let q = try file.requireTensor(named: "blk.0.attn_q.weight")
        #expect(q.type == .q4_1 && q.dims == [576, 576])
        let s = Self.stats(try file.dequantize(q))
        #expect(s.allFinite && abs(s.mean) < 0.01 && s.std > 0.01 && s.std < 0.5 && s.distinct > 100, "\(s)")
        // First gains of the final RMSNorm, read independently with numpy.frombuffer at the tensor's offset.
        let norm = try file.dequantize(try file.requireTensor(named: "output_norm.weight"))
        #expect(Array(norm.prefix(5)) == [1.7578125, 1.8203125, 1.78125, 1.6015625, 1.7421875])
    }

    /// Every tensor of the file decodes into finite values.
    @Test func everyTensorDequantizesToFiniteValues() throws {
        let file = try GGUFFile(path: RealModel.path)
        let largest = file.tensors.map(\.elementCount).max()!
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest)
        defer { buffer.deallocate() }
        for t in file.tensors {
            let out = UnsafeMutableBufferPointer(rebasing: buffer[..<t.elementCount])
            try file.dequantize(t, into: out)
            let finite = out.allSatisfy { $0.isFinite }
            #expect(finite, "\(t.name)")
        }
    }
}
