import LinearAlgebra

/// A loaded Llama model: configuration plus f32 weights, immutable after construction, so one
/// instance can be shared by every request. The forward pass (`LlamaModel+Forward.swift`) allocates
/// its scratch per call, which keeps this type free of mutable state.
public final class LlamaModel: Sendable {
    /// Shapes and constants.
    public let config: LlamaConfig
    /// Parameters.
    public let weights: LlamaWeights

    /// Wraps a validated config and matching weights.
    public init(config: LlamaConfig, weights: LlamaWeights) throws {
        try config.validate()
        if weights.layers.count != config.layerCount || weights.tokenEmbedding.count != config.vocabSize * config.width {
            throw LlamaError.invalidConfig("weights do not match the configuration")
        }
        self.config = config
        self.weights = weights
    }

    /// A fresh cache for one sequence of up to `capacity` positions.
    public func makeCache(capacity: Int) throws -> KVCache {
        try KVCache(config: config, capacity: capacity)
    }

    /// Checks that every token is a vocabulary id; `context` names the input in the error.
    func checkTokens(_ tokens: [Int], context: String) throws {
        for token in tokens where token < 0 || token >= config.vocabSize {
            throw LlamaError.tokenOutOfRange(token: token, vocabSize: config.vocabSize, context: context)
        }
    }

    /// Bytes of weights a forward pass of `rows` rows plus the LM head over them reads: the quantized twin's blocks
    /// where it is used, f32 elsewhere (norm gains included, embedding lookups of a few rows not).
    public func weightBytesRead(rows: Int) -> Int {
        let w = weights, q = w.quantized(forRows: rows)
        func bytes(_ f32: FloatBuffer, _ quantized: QuantizedMatrix?) -> Int { quantized?.byteCount ?? f32.count * 4 }
        var total = bytes(w.output, q?.output) + w.outputNorm.count * 4
        for (l, layer) in w.layers.enumerated() {
            let ql = q?.layers[l]
            total += bytes(layer.qkv, ql?.qkv) + bytes(layer.attentionOutput, ql?.attentionOutput)
                + bytes(layer.gateUp, ql?.gateUp) + bytes(layer.down, ql?.down)
                + (layer.attentionNorm.count + layer.ffnNorm.count) * 4
        }
        return total
    }

    /// logits[r, :] = output · hidden[r, :] for `rows` rows of normalized hidden state (few rows read the head's
    /// quantized twin when there is one).
    public func logits(hidden: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        // hidden [rows, C], output [V, C], out [rows, V]
        Self.project(m: rows, k: config.width, n: config.vocabSize, x: hidden, w: weights.output,
                     weights.quantized(forRows: rows)?.output, y: out)
    }
}
