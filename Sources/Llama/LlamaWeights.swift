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

/// All parameters of a Llama model in f32.
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

    /// Wraps buffers; checks each size against the config.
    public init(config: LlamaConfig, tokenEmbedding: FloatBuffer, layers: [LayerWeights], outputNorm: FloatBuffer,
                output: FloatBuffer) throws {
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
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output
    }
}
