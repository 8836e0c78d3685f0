import GGUF
import LinearAlgebra

extension LlamaModel {
    /// Loads a Llama model from a GGUF file: config from metadata, every weight dequantized to f32
    /// and checked against the shape the config implies; q|k|v and gate|up are fused by stacking
    /// their rows (see `LayerWeights`). Projections stored as Q4_1 or Q8_0 are also kept as they are
    /// (`QuantizedWeights`), for decode steps.
    public convenience init(gguf file: GGUFFile) throws {
        let cfg = try LlamaConfig(gguf: file)
        let c = cfg.width, v = cfg.vocabSize, f = cfg.ffnWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth

        /// Dequantizes `name`, which must have GGUF dims `dims` ([ne0 = inputs, ne1 = outputs] for a
        /// matrix), into `into` at `offset` (a fused matrix takes its parts as consecutive row blocks).
        func load(_ name: String, _ dims: [Int], into: FloatBuffer? = nil, offset: Int = 0) throws -> FloatBuffer {
            guard let info = file.tensor(named: name) else { throw LlamaError.tensor(name: name, problem: "missing") }
            guard info.dims == dims else {
                throw LlamaError.tensor(name: name, problem: "dims \(info.dims), expected \(dims)")
            }
            let buffer = into ?? FloatBuffer(count: info.elementCount)
            precondition(offset + info.elementCount <= buffer.count)
            do {
                try file.dequantize(info, into: UnsafeMutableBufferPointer(start: buffer.pointer + offset,
                                                                           count: info.elementCount))
            } catch {
                throw LlamaError.tensor(name: name, problem: error.description)
            }
            return buffer
        }

        /// The parts' raw blocks stacked into one matrix, when every part has the same supported block type (dims
        /// were checked by `load` first); nil otherwise.
        func quantized(_ names: [String], rows: [Int], columns: Int) throws -> QuantizedMatrix? {
            let infos = names.compactMap { file.tensor(named: $0) }
            let formats = infos.map { info -> QuantizedMatrix.Format? in
                switch info.type {
                case .q4_1: .q4_1
                case .q8_0: .q8_0
                default: nil
                }
            }
            guard infos.count == names.count, let format = formats.first ?? nil, formats.allSatisfy({ $0 == format })
            else { return nil }
            let matrix = QuantizedMatrix(format: format, rows: rows.reduce(0, +), columns: columns)
            var start = 0
            for (info, count) in zip(infos, rows) {
                guard info.byteCount == count * matrix.rowBytes else {
                    throw LlamaError.tensor(name: info.name, problem: "\(info.byteCount) bytes, expected \(count * matrix.rowBytes)")
                }
                try file.withRawBytes(of: info) { matrix.setRows(from: start, bytes: $0) }
                start += count
            }
            return matrix
        }

        let embedding = try load("token_embd.weight", [c, v])  // [V, C]
        var layers: [LayerWeights] = []
        var quantizedLayers: [QuantizedLayerWeights] = []
        for l in 0..<cfg.layerCount {
            let b = "blk.\(l)."
            let qkv = FloatBuffer(count: cfg.qkvWidth * c)  // [QD + 2·KVD, C]
            _ = try load(b + "attn_q.weight", [c, qd], into: qkv)
            _ = try load(b + "attn_k.weight", [c, kvd], into: qkv, offset: qd * c)
            _ = try load(b + "attn_v.weight", [c, kvd], into: qkv, offset: (qd + kvd) * c)
            let wo = try load(b + "attn_output.weight", [qd, c])  // [C, QD]
            let gateUp = FloatBuffer(count: 2 * f * c)  // [2F, C]
            _ = try load(b + "ffn_gate.weight", [c, f], into: gateUp)
            _ = try load(b + "ffn_up.weight", [c, f], into: gateUp, offset: f * c)
            let down = try load(b + "ffn_down.weight", [f, c])  // [C, F]
            layers.append(try LayerWeights(
                config: cfg, attentionNorm: try load(b + "attn_norm.weight", [c]), qkv: qkv, attentionOutput: wo,
                ffnNorm: try load(b + "ffn_norm.weight", [c]), gateUp: gateUp, down: down))
            quantizedLayers.append(QuantizedLayerWeights(
                qkv: try quantized([b + "attn_q.weight", b + "attn_k.weight", b + "attn_v.weight"], rows: [qd, kvd, kvd],
                                   columns: c),
                attentionOutput: try quantized([b + "attn_output.weight"], rows: [c], columns: qd),
                gateUp: try quantized([b + "ffn_gate.weight", b + "ffn_up.weight"], rows: [f, f], columns: c),
                down: try quantized([b + "ffn_down.weight"], rows: [c], columns: f)))
        }
        let output = cfg.tiedOutput ? embedding : try load("output.weight", [c, v])  // [V, C]
        let quantizedOutput = try quantized([cfg.tiedOutput ? "token_embd.weight" : "output.weight"], rows: [v], columns: c)
        let twin = QuantizedWeights(layers: quantizedLayers, output: quantizedOutput)
        let weights = try LlamaWeights(config: cfg, tokenEmbedding: embedding, layers: layers,
                                       outputNorm: try load("output_norm.weight", [c]), output: output,
                                       quantized: twin.byteCount > 0 ? twin : nil)
        try self.init(config: cfg, weights: weights)
    }
}
