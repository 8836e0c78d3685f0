import LinearAlgebra

extension LlamaModel {
    /// Training forward pass over a packed batch: returns log π(target) of every completion token (flat,
    /// pair order; split with `batch.perPair`) and saves in `activations` what `trainingBackward` needs.
    ///
    /// `adapters` adds LoRA adapters to the targeted projections; nil runs the base weights (which is also
    /// how the reference policy of LoRA training is evaluated: adapters off, no copy).
    /// The output layer runs over at most `chunkRows` target rows at a time, so no [N, V] logits exist.
    /// `headGradient`: also compute each target's d log π / d hidden while the chunk's logits exist (one
    /// [R, V]·[V, C] product here), which spares the backward pass its logits recompute and product when it
    /// computes no gradient for the head (LoRA). Costs nothing in correctness either way.
    /// `targetWeights`: dL/dlog π of every target when it is known before the forward pass (objectives whose
    /// token weights do not depend on the log-probs, e.g. SFT). The output layer's whole backward then runs
    /// here while each chunk's logits exist: the head's gradient goes into `gradients` (when given) and the
    /// weighted d hidden rows are kept for `trainingBackward`, which must then get the same weights. This
    /// saves the backward pass its logits recompute (one [R, C]·[C, V] product and an exp pass per chunk).
    public func trainingForward(_ batch: TrainingBatch, adapters: LoRAAdapters? = nil,
                                activations a: TrainingActivations, chunkRows: Int = 256,
                                headGradient: Bool = false, targetWeights: [Float]? = nil,
                                gradients: LlamaGradients? = nil) throws -> [Float] {
        if let targetWeights, targetWeights.count != batch.targetCount {
            throw LlamaError.invalidRequest("forward: \(targetWeights.count) weights for \(batch.targetCount) targets")
        }
        return try forwardPass(batch, adapters: adapters, activations: a, chunkRows: chunkRows, saving: true,
                               headGradient: headGradient, targetWeights: targetWeights, gradients: gradients)
    }

    /// The forward pass behind `trainingForward` and no-grad scoring. `saving` false keeps one layer's
    /// activations at a time (each layer overwrites them), enough for log-probs but not for a backward pass.
    func forwardPass(_ batch: TrainingBatch, adapters: LoRAAdapters?, activations a: TrainingActivations,
                     chunkRows: Int, saving: Bool, headGradient: Bool, targetWeights: [Float]? = nil,
                     gradients: LlamaGradients? = nil) throws -> [Float] {
        a.sharePlan = nil
        return try TrainingThreads.singleThreadedBLAS {
            if let plan = try BatchShares.plan(batch, workers: TrainingThreads.workers, config: config) {
                return try forwardShares(plan, adapters: adapters, activations: a, chunkRows: chunkRows, saving: saving,
                                         headGradient: headGradient, targetWeights: targetWeights, gradients: gradients)
            }
            return try forwardLayers(batch, adapters: adapters, activations: a, chunkRows: chunkRows, saving: saving,
                                     headGradient: headGradient, targetWeights: targetWeights, gradients: gradients)
        }
    }

    /// One batch through every layer on this thread's workers (each product split over them).
    func forwardLayers(_ batch: TrainingBatch, adapters: LoRAAdapters?, activations a: TrainingActivations,
                               chunkRows: Int, saving: Bool, headGradient: Bool, targetWeights: [Float]?,
                               gradients: LlamaGradients?) throws -> [Float] {
        let cfg = config
        guard chunkRows >= 1 else { throw LlamaError.invalidRequest("chunkRows must be >= 1") }
        if let adapters, adapters.layers.count != cfg.layerCount {
            throw LlamaError.invalidRequest("adapters have \(adapters.layers.count) layers, the model \(cfg.layerCount)")
        }
        let rank = adapters?.config.rank ?? 0, loraScale = adapters?.config.scale ?? 0
        let workers = TrainingThreads.workers
        a.reserve(config: cfg, batch: batch, chunkRows: min(chunkRows, max(batch.targetCount, 1)), loraRank: rank,
                  saving: saving, workers: workers)
        a.savedForBackward = saving
        a.headGradientReady = false
        a.headGradientWeights = nil
        let n = batch.rowCount
        if n == 0 { return [] }
        let c = cfg.width, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, f = cfg.ffnWidth

        Kernels.embed(tokens: batch.tokens, embedding: weights.tokenEmbedding.pointer, width: c, out: a.x.pointer)
        Kernels.ropeTables(positions: batch.positions, headDim: cfg.headDim, base: cfg.ropeBase,
                           cos: a.cos.pointer, sin: a.sin.pointer)
        for (l, w) in weights.layers.enumerated() {
            let adapted = adapters?.layers[l]
            func lora(_ t: LoRATarget, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
                guard let m = adapted?[t.index] else { return }
                loraForward(m, target: t, rank: rank, scale: loraScale, rows: n, x: x, y: y,
                            saved: a.loraSlice(layer: l, target: t))
            }
            // Attention block: x += Wo · attention(rope(q), rope(k), v) of norm(x).
            let residualIn = a.layer(a.residualIn, l, width: c)  // [N, C]
            residualIn.update(from: a.x.pointer, count: n * c)
            Kernels.parallelRMSNormForward(x: a.x.pointer, gain: w.attentionNorm.pointer, rows: n, width: c,
                                   epsilon: cfg.normEpsilon, out: a.normed.pointer,
                                   rstd: a.layer(a.attentionRstd, l, width: 1))
            let qkv = a.layer(a.qkv, l, width: qkvw)  // [N, QKV]
            TrainingThreads.linear(m: n, k: c, n: qkvw, x: a.normed.pointer, w: w.qkv.pointer, y: qkv)
            for t in [LoRATarget.q, .k, .v] { lora(t, x: a.normed.pointer, y: qkv) }
            Kernels.parallelRope(qkv, rows: n, ld: qkvw, heads: cfg.headCount + cfg.kvHeadCount, headDim: cfg.headDim,
                         cos: a.cos.pointer, sin: a.sin.pointer)
            let attention = a.layer(a.attention, l, width: qd)  // [N, QD]
            trainingAttentionForward(batch, qkv: qkv, out: attention, scores: a.scores.pointer, workers: workers)
            TrainingThreads.linear(m: n, k: qd, n: c, x: attention, w: w.attentionOutput.pointer, y: a.x.pointer,
                           accumulate: true)
            lora(.o, x: attention, y: a.x.pointer)

            // Feed-forward block: x += Wdown · (silu(Wgate · norm(x)) ⊙ Wup · norm(x)).
            a.layer(a.residualMid, l, width: c).update(from: a.x.pointer, count: n * c)
            Kernels.parallelRMSNormForward(x: a.x.pointer, gain: w.ffnNorm.pointer, rows: n, width: c,
                                   epsilon: cfg.normEpsilon, out: a.normed.pointer,
                                   rstd: a.layer(a.ffnRstd, l, width: 1))
            let gateUp = a.layer(a.gateUp, l, width: 2 * f)  // [N, 2F]
            TrainingThreads.linear(m: n, k: c, n: 2 * f, x: a.normed.pointer, w: w.gateUp.pointer, y: gateUp)
            for t in [LoRATarget.gate, .up] { lora(t, x: a.normed.pointer, y: gateUp) }
            Kernels.parallelSwiGLU(gateUp: gateUp, rows: n, ffnWidth: f, out: a.hidden.pointer)
            TrainingThreads.linear(m: n, k: f, n: c, x: a.hidden.pointer, w: w.down.pointer, y: a.x.pointer, accumulate: true)
            lora(.down, x: a.hidden.pointer, y: a.x.pointer)
        }
        a.finalResidual.pointer.update(from: a.x.pointer, count: n * c)
        Kernels.parallelRMSNormForward(x: a.x.pointer, gain: weights.outputNorm.pointer, rows: n, width: c,
                               epsilon: cfg.normEpsilon, out: a.finalNormed.pointer, rstd: a.finalRstd.pointer)
        if saving, let targetWeights {
            return outputLayerForward(batch, activations: a, targetWeights: targetWeights, gradients: gradients)
        }
        return outputLayerForward(batch, activations: a, headGradient: headGradient && saving)
    }
}
