import GGUF
import LinearAlgebra

extension LlamaModel {
    /// Loads a Llama model from a GGUF file: config from metadata, every weight dequantized to f32
    /// and checked against the shape the config implies. Matrices are transposed to input-major
    /// and q|k|v and gate|up fused (see `LayerWeights`).
    public convenience init(gguf file: GGUFFile) throws {
        let cfg = try LlamaConfig(gguf: file)
        let c = cfg.width, v = cfg.vocabSize, f = cfg.ffnWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth

        /// Dequantizes `name`, which must have GGUF dims [ne0 = inputs, ne1 = outputs] (or [ne0] for a vector).
        func load(_ name: String, _ dims: [Int]) throws -> FloatBuffer {
            guard let info = file.tensor(named: name) else { throw LlamaError.tensor(name: name, problem: "missing") }
            guard info.dims == dims else {
                throw LlamaError.tensor(name: name, problem: "dims \(info.dims), expected \(dims)")
            }
            let buffer = FloatBuffer(count: info.elementCount)
            do {
                try file.dequantize(info, into: UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
            } catch {
                throw LlamaError.tensor(name: name, problem: error.description)
            }
            return buffer
        }
        /// Loads a [out][in] matrix transposed into columns `offset..<offset+outputs` of `into` [inputs, ld].
        func loadTransposed(_ name: String, inputs: Int, outputs: Int, into: FloatBuffer, ld: Int, offset: Int) throws {
            let stored = try load(name, [inputs, outputs])
            LlamaWeights.transpose(stored.pointer, rows: outputs, cols: inputs, into: into.pointer, ldd: ld,
                                   columnOffset: offset)
        }

        let embedding = try load("token_embd.weight", [c, v])  // [V, C]
        var layers: [LayerWeights] = []
        for l in 0..<cfg.layerCount {
            let b = "blk.\(l)."
            let qkv = FloatBuffer(count: c * cfg.qkvWidth)
            try loadTransposed(b + "attn_q.weight", inputs: c, outputs: qd, into: qkv, ld: cfg.qkvWidth, offset: 0)
            try loadTransposed(b + "attn_k.weight", inputs: c, outputs: kvd, into: qkv, ld: cfg.qkvWidth, offset: qd)
            try loadTransposed(b + "attn_v.weight", inputs: c, outputs: kvd, into: qkv, ld: cfg.qkvWidth, offset: qd + kvd)
            let wo = FloatBuffer(count: qd * c)
            try loadTransposed(b + "attn_output.weight", inputs: qd, outputs: c, into: wo, ld: c, offset: 0)
            let gateUp = FloatBuffer(count: c * 2 * f)
            try loadTransposed(b + "ffn_gate.weight", inputs: c, outputs: f, into: gateUp, ld: 2 * f, offset: 0)
            try loadTransposed(b + "ffn_up.weight", inputs: c, outputs: f, into: gateUp, ld: 2 * f, offset: f)
            let down = FloatBuffer(count: f * c)
            try loadTransposed(b + "ffn_down.weight", inputs: f, outputs: c, into: down, ld: c, offset: 0)
            layers.append(try LayerWeights(
                config: cfg, attentionNorm: try load(b + "attn_norm.weight", [c]), qkv: qkv, attentionOutput: wo,
                ffnNorm: try load(b + "ffn_norm.weight", [c]), gateUp: gateUp, down: down))
        }
        let outputT = FloatBuffer(count: c * v)  // [C, V]
        if cfg.tiedOutput {
            LlamaWeights.transpose(embedding.pointer, rows: v, cols: c, into: outputT.pointer, ldd: v)
        } else {
            try loadTransposed("output.weight", inputs: c, outputs: v, into: outputT, ld: v, offset: 0)
        }
        let weights = try LlamaWeights(config: cfg, tokenEmbedding: embedding, layers: layers,
                                       outputNorm: try load("output_norm.weight", [c]), outputT: outputT)
        try self.init(config: cfg, weights: weights)
    }

    /// Token ids that end generation according to the file: `tokenizer.ggml.eos_token_id` and, when
    /// present, `tokenizer.ggml.eot_token_id`. Empty when neither is set.
    public static func endOfSequenceTokens(in file: GGUFFile) -> Set<Int> {
        var ids = Set<Int>()
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"] {
            if let id = file.metadata[key]?.intValue { ids.insert(id) }
        }
        return ids
    }
}
