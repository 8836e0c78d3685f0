import LinearAlgebra
import Synchronization

/// One layer's projection matrices as the GGUF stored them (Q4_1 / Q8_0 blocks), fused like `LayerWeights`; nil
/// where the file's parts were not all of one supported block type (that product then reads the f32 weights).
public struct QuantizedLayerWeights: Sendable {
    /// [QD + 2·KVD, C]
    public let qkv: QuantizedMatrix?
    /// [C, QD]
    public let attentionOutput: QuantizedMatrix?
    /// [2F, C]
    public let gateUp: QuantizedMatrix?
    /// [C, F]
    public let down: QuantizedMatrix?

    /// Groups one layer's matrices.
    public init(qkv: QuantizedMatrix?, attentionOutput: QuantizedMatrix?, gateUp: QuantizedMatrix?,
                down: QuantizedMatrix?) {
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.gateUp = gateUp
        self.down = down
    }
}

/// A read-only quantized twin of a model's f32 projection weights, for decode steps (few rows), which are bound by
/// the bytes of weights they read: ~97 MB per step for SmolLM2 instead of 538 MB. Its blocks dequantize to exactly
/// the f32 values the weights were loaded as, so both give the same products (see `Linear.forward` with a
/// `QuantizedMatrix`).
///
/// It is only right while the f32 weights are unchanged. Training mutates them in place after asking for them
/// through `LlamaWeights.trainableTensors(tied:)`, which calls `invalidate()` first; from then on the model uses the
/// f32 weights only. Weights made by LoRA merging or copying are new `LlamaWeights` without a twin.
public final class QuantizedWeights: Sendable {
    /// Per layer, in order.
    public let layers: [QuantizedLayerWeights]
    /// LM head [V, C] (the token embedding's blocks when the head is tied).
    public let output: QuantizedMatrix?
    private let valid = Atomic<Bool>(true)

    /// Wraps the matrices; shapes are checked by `LlamaWeights.init`.
    public init(layers: [QuantizedLayerWeights], output: QuantizedMatrix?) {
        self.layers = layers
        self.output = output
    }

    /// False once the f32 weights may have been changed.
    public var isValid: Bool { valid.load(ordering: .acquiring) }

    /// Marks the twin stale for good: called before anyone writes the f32 weights.
    public func invalidate() { valid.store(false, ordering: .releasing) }

    /// Bytes of all quantized matrices.
    public var byteCount: Int {
        layers.reduce(output?.byteCount ?? 0) { sum, l in
            sum + [l.qkv, l.attentionOutput, l.gateUp, l.down].reduce(0) { $0 + ($1?.byteCount ?? 0) }
        }
    }
}
