import LinearAlgebra

/// Everything a training forward pass saves for its backward pass, plus the scratch both passes use.
/// Grown on demand and reused across micro-batches so that the buffers are faulted in once.
///
/// Saved per layer and row: the block's input, the residual after attention, q|k|v after RoPE, the
/// attention output, gate|up pre-activations and the two RMSNorm reciprocal RMS values. RMSNorm outputs,
/// the SwiGLU output and the attention probabilities are recomputed in the backward pass (cheap
/// element-wise or 2-3 % of the FLOPs) instead of being stored. Logits are never stored: the output
/// layer runs over chunks of `chunkRows` target rows (see `LlamaModel+OutputLayer.swift`).
/// Dimension letters: L layers, N rows, C width, QKV fused projection, QD query width, F FFN width,
/// T longest sequence, R chunk rows, V vocabulary, r LoRA rank.
public final class TrainingActivations: @unchecked Sendable {
    public private(set) var rows = 0
    public private(set) var longest = 0
    public private(set) var targets = 0
    public private(set) var chunkRows = 0
    private var loraRank = 0
    /// Layers the per-layer buffers hold: L after a forward pass that saved for the backward pass, 1 when
    /// only no-grad passes used them (each layer then overwrites the one slot).
    private var layerSlots = 0
    private(set) var workers = 0
    /// Whether the gradient scratch (the d… buffers) is allocated.
    private var backwardScratch = false
    /// Whether the last forward pass saved every layer (a backward pass needs it).
    var savedForBackward = false
    /// Whether the last forward pass also computed `headGradient` (see `trainingForward`).
    var headGradientReady = false
    /// The token weights `headGradient`'s rows already carry (the forward pass ran the head's backward), nil
    /// when they are unweighted.
    var headGradientWeights: [Float]?
    /// The last forward pass's data-parallel plan, nil when it ran as one batch with split products; the
    /// backward pass follows the same plan (see `LlamaModel+DataParallel.swift`).
    var sharePlan: BatchShares?
    /// One activation set per share of a data-parallel pass, grown on demand and reused like the buffers.
    private(set) var shares: [TrainingActivations] = []
    /// Gradients of shares after the first, added into the caller's after each pass and left zero
    /// (`TrainingThreads.absorb`); kept so that they are allocated once. `…Dirty`: in use since the last
    /// absorb (a pass that failed part-way may have left partial sums), so cleared before the next use.
    var privateGradients: LlamaGradients?
    var privateAdapterGradients: LoRAAdapters?
    var privateGradientsDirty = false
    var privateAdapterGradientsDirty = false

    /// Query rows per attention block (see `trainingAttentionForward`); scores hold this many rows per worker.
    static let attentionBlockRows = 64
    /// Target rows per output-layer chunk in the current batch (at most `chunkRows`).
    private(set) var chunk = 0

    // Saved by the forward pass.
    private(set) var residualIn = FloatBuffer(count: 0)    // [L, N, C]
    private(set) var residualMid = FloatBuffer(count: 0)   // [L, N, C]
    private(set) var attentionRstd = FloatBuffer(count: 0) // [L, N]
    private(set) var ffnRstd = FloatBuffer(count: 0)       // [L, N]
    private(set) var qkv = FloatBuffer(count: 0)           // [L, N, QKV]
    private(set) var attention = FloatBuffer(count: 0)     // [L, N, QD]
    private(set) var gateUp = FloatBuffer(count: 0)        // [L, N, 2F]
    private(set) var finalResidual = FloatBuffer(count: 0) // [N, C]
    private(set) var finalRstd = FloatBuffer(count: 0)     // [N]
    private(set) var finalNormed = FloatBuffer(count: 0)   // [N, C]
    private(set) var loraHidden = FloatBuffer(count: 0)    // X·A per layer and target [L, 7, N, r]
    private(set) var cos = FloatBuffer(count: 0)           // [N, HD/2]
    private(set) var sin = FloatBuffer(count: 0)           // [N, HD/2]
    /// d log π(target) / d final hidden row of each target, when the forward pass computed it. [targets, C]
    private(set) var headGradient = FloatBuffer(count: 0)
    /// log Σ exp(logits) of each target row, so the backward pass gets softmax from recomputed logits. [targets]
    var logSumExp: [Double] = []

    // Scratch of both passes.
    private(set) var x = FloatBuffer(count: 0)             // residual stream / its gradient [N, C]
    private(set) var normed = FloatBuffer(count: 0)        // [N, C]
    private(set) var hidden = FloatBuffer(count: 0)        // SwiGLU output [N, F]
    private(set) var scores = FloatBuffer(count: 0)        // attention probabilities [workers, block, T]
    private(set) var dScores = FloatBuffer(count: 0)       // [workers, block, T]
    private(set) var dNormed = FloatBuffer(count: 0)       // [N, C]
    private(set) var dQKV = FloatBuffer(count: 0)          // [N, QKV]
    private(set) var dAttention = FloatBuffer(count: 0)    // [N, QD]
    private(set) var dHidden = FloatBuffer(count: 0)       // [N, F]
    private(set) var dGateUp = FloatBuffer(count: 0)       // [N, 2F]
    private(set) var dLoRA = FloatBuffer(count: 0)         // [N, r]
    private(set) var gathered = FloatBuffer(count: 0)      // [R, C]
    private(set) var logits = FloatBuffer(count: 0)        // [R, V]

    /// An empty set; `reserve` sizes it.
    public init() {}

    /// The first `count` share activation sets, created when missing.
    func shareActivations(_ count: Int) -> [TrainingActivations] {
        while shares.count < count { shares.append(TrainingActivations()) }
        return Array(shares.prefix(count))
    }

    /// Grows the buffers for a batch (never shrinks). `saving`: the forward pass keeps every layer's
    /// activations and the gradient scratch exists, as a backward pass needs; otherwise one layer slot
    /// and no gradient scratch (no-grad scoring touches a fraction of the memory).
    func reserve(config cfg: LlamaConfig, batch: TrainingBatch, chunkRows r: Int, loraRank: Int, saving: Bool,
                 workers: Int) {
        let n = batch.rowCount, t = batch.lengths.max() ?? 0
        let l = cfg.layerCount, c = cfg.width, f = cfg.ffnWidth
        let slots = saving ? l : 1
        if n > rows || loraRank > self.loraRank || slots > layerSlots || (saving && !backwardScratch) {
            rows = max(n, rows)
            self.loraRank = max(loraRank, self.loraRank)
            layerSlots = max(slots, layerSlots)
            backwardScratch = backwardScratch || saving
            let n = rows, l = layerSlots
            residualIn = FloatBuffer(count: l * n * c)
            residualMid = FloatBuffer(count: l * n * c)
            attentionRstd = FloatBuffer(count: l * n)
            ffnRstd = FloatBuffer(count: l * n)
            qkv = FloatBuffer(count: l * n * cfg.qkvWidth)
            attention = FloatBuffer(count: l * n * cfg.queryWidth)
            gateUp = FloatBuffer(count: l * n * 2 * f)
            finalResidual = FloatBuffer(count: n * c)
            finalRstd = FloatBuffer(count: n)
            finalNormed = FloatBuffer(count: n * c)
            loraHidden = FloatBuffer(count: l * LoRATarget.allCases.count * n * self.loraRank)
            cos = FloatBuffer(count: n * cfg.headDim / 2)
            sin = FloatBuffer(count: n * cfg.headDim / 2)
            x = FloatBuffer(count: n * c)
            normed = FloatBuffer(count: n * c)
            hidden = FloatBuffer(count: n * f)
            if backwardScratch {
                dNormed = FloatBuffer(count: n * c)
                dQKV = FloatBuffer(count: n * cfg.qkvWidth)
                dAttention = FloatBuffer(count: n * cfg.queryWidth)
                dHidden = FloatBuffer(count: n * f)
                dGateUp = FloatBuffer(count: n * 2 * f)
                dLoRA = FloatBuffer(count: n * self.loraRank)
            }
        }
        if t > longest || workers > self.workers || (saving && dScores.count < scores.count) {
            longest = max(t, longest)
            self.workers = max(workers, self.workers)
            scores = FloatBuffer(count: self.workers * Self.attentionBlockRows * longest)
            dScores = FloatBuffer(count: backwardScratch ? scores.count : 0)
        }
        if r > chunkRows {
            chunkRows = r
            gathered = FloatBuffer(count: r * c)
            logits = FloatBuffer(count: r * cfg.vocabSize)
        }
        if saving && batch.targetCount * c > headGradient.count {
            headGradient = FloatBuffer(count: batch.targetCount * c)
        }
        targets = batch.targetCount
        chunk = r
    }

    /// Pointer to layer `l`'s slice of a per-layer buffer holding `width` floats per row.
    func layer(_ buffer: FloatBuffer, _ l: Int, width: Int) -> UnsafeMutablePointer<Float> {
        buffer.pointer + (layerSlots == 1 ? 0 : l) * rows * width
    }

    /// Layer `l`, target `t`'s saved X·A. [N, r]
    func loraSlice(layer l: Int, target t: LoRATarget) -> UnsafeMutablePointer<Float> {
        loraHidden.pointer + ((layerSlots == 1 ? 0 : l) * LoRATarget.allCases.count + t.index) * rows * loraRank
    }

    /// Bytes held: saved activations and scratch, reported so that a batch's memory cost is known.
    public var savedBytes: Int {
        shares.reduce(0) { $0 + $1.savedBytes } + 4 * [residualIn, residualMid, attentionRstd, ffnRstd, qkv, attention, gateUp, finalResidual, finalRstd,
             finalNormed, loraHidden, cos, sin, headGradient].reduce(0) { $0 + $1.count } + 8 * logSumExp.count
    }

    public var scratchBytes: Int {
        let privates = (privateGradients?.tensors ?? []) + (privateAdapterGradients?.tensors ?? [])
        return shares.reduce(0) { $0 + $1.scratchBytes } + 4 * privates.reduce(0) { $0 + $1.buffer.count }
            + 4 * [x, normed, hidden, scores, dScores, dNormed, dQKV, dAttention, dHidden, dGateUp, dLoRA, gathered,
                   logits].reduce(0) { $0 + $1.count }
    }
}
