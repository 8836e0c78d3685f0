import LinearAlgebra

extension LlamaModel {
    /// Backward pass of the last `trainingForward` over `batch`, run in exactly the reverse order of the
    /// forward pass. `targetWeights` = dL/dlog π(target) for every target (flat, pair order): what an
    /// Alignment objective's `tokenWeights` give, concatenated.
    ///
    /// Gradients accumulate (+=) so that micro-batches add up: `gradients` receives every base parameter's
    /// gradient (full fine-tuning), `adapterGradients` every adapter's (LoRA); either may be nil. The
    /// gradient with respect to the hidden states always flows through the frozen weights.
    public func trainingBackward(_ batch: TrainingBatch, targetWeights: [Float], adapters: LoRAAdapters? = nil,
                                 activations a: TrainingActivations, gradients: LlamaGradients?,
                                 adapterGradients: LoRAAdapters? = nil) throws {
        try TrainingThreads.singleThreadedBLAS {
            if let plan = a.sharePlan {
                return try backwardShares(plan, batch: batch, targetWeights: targetWeights, adapters: adapters,
                                          activations: a, gradients: gradients, adapterGradients: adapterGradients)
            }
            try backwardLayers(batch, targetWeights: targetWeights, adapters: adapters, activations: a,
                               gradients: gradients, adapterGradients: adapterGradients)
        }
    }

    /// One batch's backward through every layer on this thread's workers (each product split over them).
    func backwardLayers(_ batch: TrainingBatch, targetWeights: [Float], adapters: LoRAAdapters?,
                                activations a: TrainingActivations, gradients: LlamaGradients?,
                                adapterGradients: LoRAAdapters?) throws {
        let cfg = config
        guard targetWeights.count == batch.targetCount, a.targets == batch.targetCount, a.rows >= batch.rowCount,
              a.savedForBackward else {
            throw LlamaError.invalidRequest("backward: \(targetWeights.count) weights for \(batch.targetCount) targets, "
                + "or the activations are not from this batch")
        }
        if (adapters == nil) != (adapterGradients == nil) {
            throw LlamaError.invalidRequest("backward: adapters and their gradients must be given together")
        }
        let n = batch.rowCount
        if n == 0 { return }
        let c = cfg.width, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, f = cfg.ffnWidth
        let rank = adapters?.config.rank ?? 0, loraScale = adapters?.config.scale ?? 0
        let dx = a.x.pointer  // gradient of the residual stream [N, C]

        // Output layer and final norm.
        try outputLayerBackward(batch, weights: targetWeights, activations: a, gradients: gradients,
                            dHidden: a.dNormed.pointer)
        dx.update(repeating: 0, count: n * c)
        Kernels.parallelRMSNormBackward(dOut: a.dNormed.pointer, x: a.finalResidual.pointer, gain: weights.outputNorm.pointer,
                                rstd: a.finalRstd.pointer, rows: n, width: c, dX: dx,
                                dGain: gradients?.outputNorm.pointer)

        for l in stride(from: cfg.layerCount - 1, through: 0, by: -1) {
            let w = weights.layers[l], g = gradients?.layers[l]
            func lora(_ t: LoRATarget, x: UnsafePointer<Float>, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>) {
                guard let m = adapters?.layers[l][t.index], let dm = adapterGradients?.layers[l][t.index] else { return }
                loraBackward(m, gradient: dm, target: t, rank: rank, scale: loraScale, rows: n, x: x,
                             saved: a.loraSlice(layer: l, target: t), dY: dY, scratch: a.dLoRA.pointer, dX: dX)
            }
            let residualIn = a.layer(a.residualIn, l, width: c), residualMid = a.layer(a.residualMid, l, width: c)
            let qkv = a.layer(a.qkv, l, width: qkvw), attention = a.layer(a.attention, l, width: qd)
            let gateUp = a.layer(a.gateUp, l, width: 2 * f)
            let attentionRstd = a.layer(a.attentionRstd, l, width: 1), ffnRstd = a.layer(a.ffnRstd, l, width: 1)

            // Feed-forward block (x_out = x_mid + hidden·Wdown, hidden = swiGLU(norm(x_mid)·Wgu)).
            // dHidden [N, F] = dx [N, C] · Wdown [C, F]
            TrainingThreads.gemm(transA: false, transB: false, m: n, n: f, k: c, a: dx, lda: c, b: w.down.pointer, ldb: f,
                      c: a.dHidden.pointer, ldc: f)
            Kernels.parallelSwiGLU(gateUp: gateUp, rows: n, ffnWidth: f, out: a.hidden.pointer)
            if let g {  // dWdown [C, F] += dxᵀ · hidden
                TrainingThreads.gemm(transA: true, transB: false, m: c, n: f, k: n, a: dx, lda: c, b: a.hidden.pointer, ldb: f,
                          beta: 1, c: g.down.pointer, ldc: f)
            }
            lora(.down, x: a.hidden.pointer, dY: dx, dX: a.dHidden.pointer)
            Kernels.parallelSwiGLUBackward(dHidden: a.dHidden.pointer, gateUp: gateUp, rows: n, ffnWidth: f,
                                   dGateUp: a.dGateUp.pointer)
            Kernels.parallelRMSNormRecompute(x: residualMid, gain: w.ffnNorm.pointer, rstd: ffnRstd, rows: n, width: c,
                                     out: a.normed.pointer)
            if let g {  // dWgu [2F, C] += dGateUpᵀ · normed
                TrainingThreads.gemm(transA: true, transB: false, m: 2 * f, n: c, k: n, a: a.dGateUp.pointer, lda: 2 * f,
                          b: a.normed.pointer, ldb: c, beta: 1, c: g.gateUp.pointer, ldc: c)
            }
            // dNormed [N, C] = dGateUp [N, 2F] · Wgu [2F, C]
            TrainingThreads.gemm(transA: false, transB: false, m: n, n: c, k: 2 * f, a: a.dGateUp.pointer, lda: 2 * f,
                      b: w.gateUp.pointer, ldb: c, c: a.dNormed.pointer, ldc: c)
            for t in [LoRATarget.gate, .up] { lora(t, x: a.normed.pointer, dY: a.dGateUp.pointer, dX: a.dNormed.pointer) }
            Kernels.parallelRMSNormBackward(dOut: a.dNormed.pointer, x: residualMid, gain: w.ffnNorm.pointer, rstd: ffnRstd,
                                    rows: n, width: c, dX: dx, dGain: g?.ffnNorm.pointer)

            // Attention block (x_mid = x_in + attention·Wo).
            // dAttention [N, QD] = dx [N, C] · Wo [C, QD]
            TrainingThreads.gemm(transA: false, transB: false, m: n, n: qd, k: c, a: dx, lda: c, b: w.attentionOutput.pointer,
                      ldb: qd, c: a.dAttention.pointer, ldc: qd)
            if let g {  // dWo [C, QD] += dxᵀ · attention
                TrainingThreads.gemm(transA: true, transB: false, m: c, n: qd, k: n, a: dx, lda: c, b: attention, ldb: qd,
                          beta: 1, c: g.attentionOutput.pointer, ldc: qd)
            }
            lora(.o, x: attention, dY: dx, dX: a.dAttention.pointer)
            trainingAttentionBackward(batch, qkv: qkv, dOut: a.dAttention.pointer, dQKV: a.dQKV.pointer,
                                      scores: a.scores.pointer, dScores: a.dScores.pointer,
                                      workers: min(TrainingThreads.workers, a.workers))
            Kernels.parallelRope(a.dQKV.pointer, rows: n, ld: qkvw, heads: cfg.headCount + cfg.kvHeadCount,
                                 headDim: cfg.headDim, cos: a.cos.pointer, sin: a.sin.pointer, backward: true)
            Kernels.parallelRMSNormRecompute(x: residualIn, gain: w.attentionNorm.pointer, rstd: attentionRstd, rows: n,
                                     width: c, out: a.normed.pointer)
            if let g {  // dWqkv [QKV, C] += dQKVᵀ · normed
                TrainingThreads.gemm(transA: true, transB: false, m: qkvw, n: c, k: n, a: a.dQKV.pointer, lda: qkvw,
                          b: a.normed.pointer, ldb: c, beta: 1, c: g.qkv.pointer, ldc: c)
            }
            // dNormed [N, C] = dQKV [N, QKV] · Wqkv [QKV, C]
            TrainingThreads.gemm(transA: false, transB: false, m: n, n: c, k: qkvw, a: a.dQKV.pointer, lda: qkvw,
                      b: w.qkv.pointer, ldb: c, c: a.dNormed.pointer, ldc: c)
            for t in [LoRATarget.q, .k, .v] { lora(t, x: a.normed.pointer, dY: a.dQKV.pointer, dX: a.dNormed.pointer) }
            Kernels.parallelRMSNormBackward(dOut: a.dNormed.pointer, x: residualIn, gain: w.attentionNorm.pointer,
                                    rstd: attentionRstd, rows: n, width: c, dX: dx, dGain: g?.attentionNorm.pointer)
        }
        if let gradients {
            Kernels.embedBackward(tokens: batch.tokens, dOut: dx, width: c, dEmbedding: gradients.tokenEmbedding.pointer)
        }
    }
}
