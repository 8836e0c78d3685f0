import LinearAlgebra

/// Gradients of one block's parameters, shaped exactly like `LayerWeights` (input-major matrices).
public struct LayerGradients: Sendable {
    public let attentionNorm: FloatBuffer    // [C]
    public let qkv: FloatBuffer              // [C, QKV]
    public let attentionOutput: FloatBuffer  // [QD, C]
    public let ffnNorm: FloatBuffer          // [C]
    public let gateUp: FloatBuffer           // [C, 2F]
    public let down: FloatBuffer             // [F, C]
}

/// Gradients of every model parameter for full fine-tuning, accumulated over micro-batches until the
/// optimizer consumes them. With a tied head, the head's gradient lands in `tokenEmbedding`.
public final class LlamaGradients: @unchecked Sendable {
    public let tokenEmbedding: FloatBuffer  // [V, C]
    public let layers: [LayerGradients]
    public let outputNorm: FloatBuffer      // [C]
    /// The untied head's gradient, input-major like `outputT`. [C, V]; nil when tied.
    public let outputT: FloatBuffer?

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
        outputT = cfg.tiedOutput ? nil : FloatBuffer(count: c * cfg.vocabSize)
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
        if let outputT { out.append(("output", outputT)) }
        return out
    }

    /// Sets every gradient to zero (start of an optimizer step).
    public func zero() { for t in tensors { t.buffer.zero() } }
}

extension LlamaWeights {
    /// The parameters full fine-tuning updates, named and ordered like `LlamaGradients.tensors`.
    /// With a tied head, `outputT` is not listed: it is a transposed copy of `tokenEmbedding`, refreshed by
    /// `refreshTiedOutput()` after each update.
    public func trainableTensors(tied: Bool) -> [(name: String, buffer: FloatBuffer)] {
        var out: [(String, FloatBuffer)] = [("token_embd", tokenEmbedding)]
        for (l, w) in layers.enumerated() {
            let b = "blk.\(l)."
            out += [(b + "attn_norm", w.attentionNorm), (b + "qkv", w.qkv), (b + "attn_output", w.attentionOutput),
                    (b + "ffn_norm", w.ffnNorm), (b + "gate_up", w.gateUp), (b + "ffn_down", w.down)]
        }
        out.append(("output_norm", outputNorm))
        if !tied { out.append(("output", outputT)) }
        return out
    }

    /// Rewrites the LM head copy from the (updated) token embedding when they are tied.
    public func refreshTiedOutput(config cfg: LlamaConfig) {
        guard cfg.tiedOutput else { return }
        LlamaWeights.transpose(tokenEmbedding.pointer, rows: cfg.vocabSize, cols: cfg.width, into: outputT.pointer,
                               ldd: cfg.vocabSize)
    }

    /// A deep copy (the frozen reference policy of full fine-tuning).
    public func copy(config cfg: LlamaConfig) throws -> LlamaWeights {
        func dup(_ b: FloatBuffer) -> FloatBuffer {
            let c = FloatBuffer(count: b.count)
            c.pointer.update(from: b.pointer, count: b.count)
            return c
        }
        return try LlamaWeights(
            config: cfg, tokenEmbedding: dup(tokenEmbedding),
            layers: try layers.map {
                try LayerWeights(config: cfg, attentionNorm: dup($0.attentionNorm), qkv: dup($0.qkv),
                                 attentionOutput: dup($0.attentionOutput), ffnNorm: dup($0.ffnNorm),
                                 gateUp: dup($0.gateUp), down: dup($0.down))
            },
            outputNorm: dup(outputNorm), outputT: dup(outputT))
    }
}
