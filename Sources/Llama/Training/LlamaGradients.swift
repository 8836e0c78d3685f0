import LinearAlgebra

/// Gradients of one block's parameters, shaped exactly like `LayerWeights` ([out][in] matrices).
public struct LayerGradients: Sendable {
    public let attentionNorm: FloatBuffer    // [C]
    public let qkv: FloatBuffer              // [QKV, C]
    public let attentionOutput: FloatBuffer  // [C, QD]
    public let ffnNorm: FloatBuffer          // [C]
    public let gateUp: FloatBuffer           // [2F, C]
    public let down: FloatBuffer             // [C, F]
}

/// Gradients of every model parameter for full fine-tuning, accumulated over micro-batches until the
/// optimizer consumes them. With a tied head, the head's gradient lands in `tokenEmbedding`.
public final class LlamaGradients: @unchecked Sendable {
    public let tokenEmbedding: FloatBuffer  // [V, C]
    public let layers: [LayerGradients]
    public let outputNorm: FloatBuffer      // [C]
    /// The untied head's gradient. [V, C]; nil when tied.
    public let output: FloatBuffer?

    /// Zeros shaped like the model's parameters.
    public init(config cfg: LlamaConfig) {
        let c = cfg.width
        tokenEmbedding = FloatBuffer(count: cfg.vocabSize * c)
        layers = (0..<cfg.layerCount).map { _ in
            LayerGradients(attentionNorm: FloatBuffer(count: c), qkv: FloatBuffer(count: c * cfg.qkvWidth),
                           attentionOutput: FloatBuffer(count: cfg.queryWidth * c), ffnNorm: FloatBuffer(count: c),
                           gateUp: FloatBuffer(count: c * 2 * cfg.ffnWidth), down: FloatBuffer(count: cfg.ffnWidth * c))
        }
        outputNorm = FloatBuffer(count: c)
        output = cfg.tiedOutput ? nil : FloatBuffer(count: cfg.vocabSize * c)
    }

    /// Every tensor with its name, in the same order as `LlamaWeights.trainableTensors`.
    public var tensors: [(name: String, buffer: FloatBuffer)] {
        var out: [(String, FloatBuffer)] = [("token_embd", tokenEmbedding)]
        for (l, g) in layers.enumerated() {
            let b = "blk.\(l)."
            out += [(b + "attn_norm", g.attentionNorm), (b + "qkv", g.qkv), (b + "attn_output", g.attentionOutput),
                    (b + "ffn_norm", g.ffnNorm), (b + "gate_up", g.gateUp), (b + "ffn_down", g.down)]
        }
        out.append(("output_norm", outputNorm))
        if let output { out.append(("output", output)) }
        return out
    }

    /// Sets every gradient to zero (start of an optimizer step).
    public func zero() { for t in tensors { t.buffer.zero() } }
}

extension LlamaWeights {
    /// The parameters full fine-tuning updates, named and ordered like `LlamaGradients.tensors`.
    /// With a tied head, `output` is not listed: it is the `tokenEmbedding` buffer itself.
    /// Callers may write these buffers, so the quantized twin of the weights is retired here, before any write.
    public func trainableTensors(tied: Bool) -> [(name: String, buffer: FloatBuffer)] {
        quantized?.invalidate()
        var out: [(String, FloatBuffer)] = [("token_embd", tokenEmbedding)]
        for (l, w) in layers.enumerated() {
            let b = "blk.\(l)."
            out += [(b + "attn_norm", w.attentionNorm), (b + "qkv", w.qkv), (b + "attn_output", w.attentionOutput),
                    (b + "ffn_norm", w.ffnNorm), (b + "gate_up", w.gateUp), (b + "ffn_down", w.down)]
        }
        out.append(("output_norm", outputNorm))
        if !tied { out.append(("output", output)) }
        return out
    }

    /// A deep copy (the frozen reference policy of full fine-tuning).
    public func copy(config cfg: LlamaConfig) throws -> LlamaWeights {
        func dup(_ b: FloatBuffer) -> FloatBuffer {
            let c = FloatBuffer(count: b.count)
            c.pointer.update(from: b.pointer, count: b.count)
            return c
        }
        let embedding = dup(tokenEmbedding)
        return try LlamaWeights(
            config: cfg, tokenEmbedding: embedding,
            layers: try layers.map {
                try LayerWeights(config: cfg, attentionNorm: dup($0.attentionNorm), qkv: dup($0.qkv),
                                 attentionOutput: dup($0.attentionOutput), ffnNorm: dup($0.ffnNorm),
                                 gateUp: dup($0.gateUp), down: dup($0.down))
            },
            outputNorm: dup(outputNorm), output: output === tokenEmbedding ? embedding : dup(output))
    }
}
