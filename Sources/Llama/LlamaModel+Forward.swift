import LinearAlgebra

/// Tokens to append to one sequence in a forward pass.
public struct BatchEntry: Sendable {
    /// The sequence's cache; the tokens go at positions `cache.count...`.
    public let cache: KVCache
    /// Token ids to feed, in order.
    public let tokens: [Int]

    /// Pairs a cache with the tokens to append to it.
    public init(cache: KVCache, tokens: [Int]) {
        self.cache = cache
        self.tokens = tokens
    }
}

/// Activations of a forward pass over up to `rows` rows (one row per fed token, entries back to
/// back). Kept by the caller across calls (a generation loop, a scoring batch) so that the buffers are
/// allocated and faulted in once, not on every decode step. Shape comments use N rows, C width, QKV
/// fused projection width, QD query width, F FFN width, T attended positions.
public final class ForwardWorkspace: @unchecked Sendable {
    private(set) var rows = 0
    private(set) var scoreCount = 0
    private(set) var x = FloatBuffer(count: 0)         // residual stream [N, C]
    private(set) var normed = FloatBuffer(count: 0)    // RMSNorm output; the pass's result [N, C]
    private(set) var qkv = FloatBuffer(count: 0)       // fused projections [N, QKV]
    private(set) var attention = FloatBuffer(count: 0) // attention output, heads concatenated [N, QD]
    private(set) var gateUp = FloatBuffer(count: 0)    // [N, 2F]
    private(set) var hidden = FloatBuffer(count: 0)    // SwiGLU output [N, F]
    private(set) var cos = FloatBuffer(count: 0)       // RoPE tables [N, HD/2]
    private(set) var sin = FloatBuffer(count: 0)
    private(set) var scores = FloatBuffer(count: 0)    // attention weights of one entry and head (group) [rows, T]

    /// An empty workspace; buffers grow on first use.
    public init() {}

    /// Grows the buffers to hold `n` rows and `scoreCount` attention weights (never shrinks).
    func reserve(config: LlamaConfig, rows n: Int, scoreCount needed: Int) {
        if n > rows {
            rows = n
            x = FloatBuffer(count: n * config.width)
            normed = FloatBuffer(count: n * config.width)
            qkv = FloatBuffer(count: n * config.qkvWidth)
            attention = FloatBuffer(count: n * config.queryWidth)
            gateUp = FloatBuffer(count: n * 2 * config.ffnWidth)
            hidden = FloatBuffer(count: n * config.ffnWidth)
            cos = FloatBuffer(count: n * config.headDim / 2)
            sin = FloatBuffer(count: n * config.headDim / 2)
        }
        if needed > scoreCount {
            scoreCount = needed
            scores = FloatBuffer(count: needed)
        }
    }
}

extension LlamaModel {
    /// Runs the model over a batch: appends each entry's tokens to its cache and returns the final
    /// RMSNorm-ed hidden state of every fed token, [N, C] with entries back to back in order (the first
    /// N rows of the returned buffer, which belongs to `workspace` and is overwritten by its next use).
    /// Feed the rows you need to `logits(hidden:rows:into:)`; nothing here materializes logits.
    ///
    /// Every row attends causally to its own sequence only (its cache, including a forked parent's
    /// prefix, plus the entry's earlier rows). Caches are committed only after all layers ran, and
    /// only if nothing threw.
    public func forward(_ entries: [BatchEntry], workspace: ForwardWorkspace = ForwardWorkspace()) throws -> FloatBuffer {
        let cfg = config
        var positions: [Int] = []
        var tokens: [Int] = []
        var seen = Set<ObjectIdentifier>()
        for (index, entry) in entries.enumerated() {
            if !seen.insert(ObjectIdentifier(entry.cache)).inserted {
                throw LlamaError.invalidRequest("batch entry \(index) repeats a cache already in the batch")
            }
            try checkTokens(entry.tokens, context: "batch entry \(index)")
            if entry.cache.ownCount + entry.tokens.count > entry.cache.capacity {
                throw LlamaError.cacheFull(capacity: entry.cache.capacity, needed: entry.cache.ownCount + entry.tokens.count)
            }
            positions += (0..<entry.tokens.count).map { entry.cache.count + $0 }
            tokens += entry.tokens
        }
        let n = tokens.count
        let group = cfg.headCount / cfg.kvHeadCount
        let scoreCount = entries.map { max($0.tokens.count, group) * ($0.cache.count + $0.tokens.count) }.max() ?? 0
        // Pure decode steps of several sequences run attention on several threads (prefill attention
        // is BLAS, which threads itself).
        let threads = entries.count > 1 && entries.allSatisfy({ $0.tokens.count == 1 }) ? Linear.threads : 1
        let s = workspace
        s.reserve(config: cfg, rows: n, scoreCount: scoreCount * threads)
        if n == 0 { return s.normed }
        let c = cfg.width, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth, f = cfg.ffnWidth
        let quantized = weights.quantized(forRows: n)  // decode-size passes read the stored blocks

        Kernels.embed(tokens: tokens, embedding: weights.tokenEmbedding.pointer, width: c, out: s.x.pointer)
        Kernels.ropeTables(positions: positions, headDim: cfg.headDim, base: cfg.ropeBase,
                           cos: s.cos.pointer, sin: s.sin.pointer)
        for (l, layer) in weights.layers.enumerated() {
            let q = quantized?.layers[l]
            // Attention block: x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
            Kernels.rmsNorm(x: s.x.pointer, gain: layer.attentionNorm.pointer, rows: n, width: c,
                            epsilon: cfg.normEpsilon, out: s.normed.pointer)
            Self.project(m: n, k: c, n: qkvw, x: s.normed.pointer, w: layer.qkv, q?.qkv, y: s.qkv.pointer)
            Kernels.rope(s.qkv.pointer, rows: n, ld: qkvw, heads: cfg.headCount + cfg.kvHeadCount,
                         headDim: cfg.headDim, cos: s.cos.pointer, sin: s.sin.pointer)
            var rowStarts: [Int] = []
            var row = 0
            for entry in entries {
                let count = entry.tokens.count
                for i in 0..<count {
                    let slot = entry.cache.rows(layer: l, ownIndex: entry.cache.ownCount + i)
                    let source = s.qkv.pointer + (row + i) * qkvw + qd
                    slot.keys.update(from: source, count: kvd)
                    slot.values.update(from: source + kvd, count: kvd)
                }
                rowStarts.append(row)
                row += count
            }
            let starts = rowStarts
            if threads > 1 {
                // Decode step: sequences are independent; each thread has its own score rows.
                ForkJoin.shared.run(iterations: threads) { t in
                    for e in stride(from: t, to: entries.count, by: threads) {
                        attention(layer: l, cache: entries[e].cache, rowStart: starts[e], rows: entries[e].tokens.count,
                                  scratch: s, scores: s.scores.pointer + t * scoreCount)
                    }
                }
            } else {
                for (e, entry) in entries.enumerated() {
                    attention(layer: l, cache: entry.cache, rowStart: rowStarts[e], rows: entry.tokens.count,
                              scratch: s, scores: s.scores.pointer)
                }
            }
            Self.project(m: n, k: qd, n: c, x: s.attention.pointer, w: layer.attentionOutput, q?.attentionOutput,
                         y: s.x.pointer, accumulate: true)
            // Feed-forward block: x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x))
            Kernels.rmsNorm(x: s.x.pointer, gain: layer.ffnNorm.pointer, rows: n, width: c,
                            epsilon: cfg.normEpsilon, out: s.normed.pointer)
            Self.project(m: n, k: c, n: 2 * f, x: s.normed.pointer, w: layer.gateUp, q?.gateUp, y: s.gateUp.pointer)
            Kernels.swiGLU(gateUp: s.gateUp.pointer, rows: n, ffnWidth: f, out: s.hidden.pointer)
            Self.project(m: n, k: f, n: c, x: s.hidden.pointer, w: layer.down, q?.down, y: s.x.pointer,
                         accumulate: true)
        }
        for entry in entries { entry.cache.commit(entry.tokens.count) }
        Kernels.rmsNorm(x: s.x.pointer, gain: weights.outputNorm.pointer, rows: n, width: c,
                        epsilon: cfg.normEpsilon, out: s.normed.pointer)
        return s.normed
    }

    /// Y[m×n] (+)= X[m×k] · Wᵀ from the quantized twin `quantized` when given (same values, fewer bytes), else from
    /// the f32 weights `w`.
    static func project(m: Int, k: Int, n: Int, x: UnsafePointer<Float>, w: FloatBuffer, _ quantized: QuantizedMatrix?,
                        y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if let quantized {
            Linear.forward(m: m, x: x, ldx: k, w: quantized, y: y, ldy: n, accumulate: accumulate)
        } else {
            Linear.forward(m: m, k: k, n: n, x: x, w: w.pointer, y: y, accumulate: accumulate)
        }
    }
}
