import LinearAlgebra

/// One transformer block's parameters, f32, matrices stored `[out][in]` as in GGUF (each output is a
/// contiguous row of inputs), so `Linear.forward` computes X·Wᵀ.
public struct LayerWeights: Sendable {
    /// RMSNorm gain before attention. [C]
    public let attentionNorm: FloatBuffer
    /// Fused q|k|v projection. [QD + 2·KVD, C]: rows 0..<QD are q, then k, then v, in the GGUF's head
    /// order (q and k already permuted by llama.cpp's converter for interleaved-pair RoPE).
    public let qkv: FloatBuffer
    /// Attention output projection. [C, QD]
    public let attentionOutput: FloatBuffer
    /// RMSNorm gain before the feed-forward. [C]
    public let ffnNorm: FloatBuffer
    /// Fused gate|up projection. [2F, C]: rows 0..<F gate, F..<2F up.
    public let gateUp: FloatBuffer
    /// Feed-forward down projection. [C, F]
    public let down: FloatBuffer

    /// Wraps buffers; checks each size against the config.
    public init(config: LlamaConfig, attentionNorm: FloatBuffer, qkv: FloatBuffer, attentionOutput: FloatBuffer,
                ffnNorm: FloatBuffer, gateUp: FloatBuffer, down: FloatBuffer) throws {
        let c = config.width
        for (name, buffer, expected) in [
            ("attn_norm", attentionNorm, c), ("qkv", qkv, c * config.qkvWidth),
            ("attn_output", attentionOutput, config.queryWidth * c), ("ffn_norm", ffnNorm, c),
            ("gate_up", gateUp, c * 2 * config.ffnWidth), ("ffn_down", down, config.ffnWidth * c),
        ] where buffer.count != expected {
            throw LlamaError.tensor(name: name, problem: "has \(buffer.count) values, expected \(expected)")
        }
        self.attentionNorm = attentionNorm
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.ffnNorm = ffnNorm
        self.gateUp = gateUp
        self.down = down
    }
}

/// All parameters of a Llama model in f32, plus (when loaded from a quantized GGUF) a quantized twin of the
/// projections that decode steps read instead (`QuantizedWeights`: same values, ~6x fewer bytes).
public struct LlamaWeights: Sendable {
    /// Token embedding, one row per token. [V, C]
    public let tokenEmbedding: FloatBuffer
    /// Per-block parameters, L of them.
    public let layers: [LayerWeights]
    /// Final RMSNorm gain. [C]
    public let outputNorm: FloatBuffer
    /// LM head. [V, C]. With tied embeddings this is the very same buffer as `tokenEmbedding`
    /// (`===`), so a trainer that updates one updates both, as the tie requires.
    public let output: FloatBuffer
    /// The projections as stored in the file, used for products of few rows while `isValid`; nil for weights that
    /// were not quantized (random, merged, copied, F32 files).
    public let quantized: QuantizedWeights?

    /// Wraps buffers; checks each size against the config.
    public init(config: LlamaConfig, tokenEmbedding: FloatBuffer, layers: [LayerWeights], outputNorm: FloatBuffer,
                output: FloatBuffer, quantized: QuantizedWeights? = nil) throws {
        let c = config.width, v = config.vocabSize
        if tokenEmbedding.count != v * c {
            throw LlamaError.tensor(name: "token_embd", problem: "has \(tokenEmbedding.count) values, expected \(v * c)")
        }
        if output.count != v * c {
            throw LlamaError.tensor(name: "output", problem: "has \(output.count) values, expected \(v * c)")
        }
        if outputNorm.count != c {
            throw LlamaError.tensor(name: "output_norm", problem: "has \(outputNorm.count) values, expected \(c)")
        }
        if layers.count != config.layerCount {
            throw LlamaError.tensor(name: "blk.*", problem: "\(layers.count) layers, expected \(config.layerCount)")
        }
        if let quantized { try Self.check(quantized, config: config) }
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output
        self.quantized = quantized
    }

    /// The quantized twin when it may be used for a product of `rows` rows: present, still valid, few enough rows
    /// (beyond, BLAS on the f32 weights is faster), and a CPU that runs the kernel.
    func quantized(forRows rows: Int) -> QuantizedWeights? {
        guard rows <= Linear.quantizedRowLimit, Linear.smallBatchAvailable, let quantized, quantized.isValid else {
            return nil
        }
        return quantized
    }

    private static func check(_ q: QuantizedWeights, config cfg: LlamaConfig) throws {
        let c = cfg.width
        if q.layers.count != cfg.layerCount {
            throw LlamaError.tensor(name: "blk.*", problem: "\(q.layers.count) quantized layers, expected \(cfg.layerCount)")
        }
        func expect(_ m: QuantizedMatrix?, _ name: String, rows: Int, columns: Int) throws {
            if let m, m.rows != rows || m.columns != columns {
                throw LlamaError.tensor(name: name, problem: "quantized \(m.rows)×\(m.columns), expected \(rows)×\(columns)")
            }
        }
        for (l, layer) in q.layers.enumerated() {
            try expect(layer.qkv, "blk.\(l).qkv", rows: cfg.qkvWidth, columns: c)
            try expect(layer.attentionOutput, "blk.\(l).attn_output", rows: c, columns: cfg.queryWidth)
            try expect(layer.gateUp, "blk.\(l).gate_up", rows: 2 * cfg.ffnWidth, columns: c)
            try expect(layer.down, "blk.\(l).ffn_down", rows: c, columns: cfg.ffnWidth)
        }
        try expect(q.output, "output", rows: cfg.vocabSize, columns: c)
    }
}
