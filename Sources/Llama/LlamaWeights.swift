import LinearAlgebra

/// One transformer block's parameters, f32, matrices stored input-major `[in][out]` (the transpose of
/// GGUF's `[out][in]` rows) so that `Linear.forward` computes X·W directly.
public struct LayerWeights: Sendable {
    /// RMSNorm gain before attention. [C]
    public let attentionNorm: FloatBuffer
    /// Fused q|k|v projection. [C, QD + 2·KVD]: columns 0..<QD are q, then k, then v, in the GGUF's
    /// head order (q and k already permuted by llama.cpp's converter for interleaved-pair RoPE).
    public let qkv: FloatBuffer
    /// Attention output projection. [QD, C]
    public let attentionOutput: FloatBuffer
    /// RMSNorm gain before the feed-forward. [C]
    public let ffnNorm: FloatBuffer
    /// Fused gate|up projection. [C, 2F]: columns 0..<F gate, F..<2F up.
    public let gateUp: FloatBuffer
    /// Feed-forward down projection. [F, C]
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
    /// LM head, input-major. [C, V]. With tied embeddings this is a transposed copy of
    /// `tokenEmbedding` (113 MB for SmolLM2): one-row decode then runs as a fast transposed gemv, and
    /// small batches as NN sgemm. A trainer that updates a tied embedding must refresh this copy.
    public let outputT: FloatBuffer

    /// Wraps buffers; checks each size against the config.
    public init(config: LlamaConfig, tokenEmbedding: FloatBuffer, layers: [LayerWeights], outputNorm: FloatBuffer,
                outputT: FloatBuffer) throws {
        let c = config.width, v = config.vocabSize
        if tokenEmbedding.count != v * c {
            throw LlamaError.tensor(name: "token_embd", problem: "has \(tokenEmbedding.count) values, expected \(v * c)")
        }
        if outputT.count != v * c {
            throw LlamaError.tensor(name: "output", problem: "has \(outputT.count) values, expected \(v * c)")
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
        self.outputT = outputT
    }

    /// Copies `source` [rows, cols] (row-major) transposed into `destination` [cols, ldd] starting at
    /// column `columnOffset`: how GGUF `[out][in]` matrices become input-major (and get fused).
    public static func transpose(_ source: UnsafePointer<Float>, rows: Int, cols: Int,
                                 into destination: UnsafeMutablePointer<Float>, ldd: Int, columnOffset: Int = 0) {
        // Blocked so that both sides stay in cache for the 49152-row embedding.
        let block = 64
        for r0 in stride(from: 0, to: rows, by: block) {
            for c0 in stride(from: 0, to: cols, by: block) {
                for r in r0..<min(r0 + block, rows) {
                    for c in c0..<min(c0 + block, cols) {
                        destination[c * ldd + columnOffset + r] = source[r * cols + c]
                    }
                }
            }
        }
    }
}
