import LinearAlgebra

/// The LM head fused with log-softmax, over chunks of target rows: a chunk's logits [R, V] live only while
/// that chunk is processed. The forward pass keeps one number per target (log Σ exp); the backward pass
/// recomputes the chunk's logits with one more GEMM rather than holding N×V floats (403 MB at 8×256).
extension LlamaModel {
    /// Gathers the final hidden rows of targets `start..<start+rows` into `a.gathered` [R, C] and computes
    /// their logits into `a.logits` [R, V].
    private func chunkLogits(_ batch: TrainingBatch, activations a: TrainingActivations, start: Int, rows: Int) {
        let c = config.width
        for i in 0..<rows {
            (a.gathered.pointer + i * c).update(from: a.finalNormed.pointer + batch.targetRows[start + i] * c, count: c)
        }
        // logits [R, V] = gathered [R, C] · headᵀ: always the f32 head (a few-row chunk must not read the
        // quantized twin inference uses: forward, backward and the trained weights must agree).
        TrainingThreads.linear(m: rows, k: c, n: config.vocabSize, x: a.gathered.pointer, w: weights.output.pointer,
                               y: a.logits.pointer)
    }

    /// log π(target) for every target; stores each row's log Σ exp for the backward pass. With
    /// `headGradient`, also stores each target's d log π / d hidden = Headᵀ·(onehot(target) − softmax) in
    /// `a.headGradient` [targets, C], so that a backward pass that needs no gradient for the head itself
    /// (LoRA: the head is frozen) scales these rows by the token weights instead of recomputing logits.
    /// With `targetWeights` (known before the pass), runs the head's whole backward here instead: the
    /// head's gradient += dlogitsᵀ·hidden into `gradients`, and the rows of `a.headGradient` are already
    /// weighted (the same arithmetic as `outputLayerBackward`'s recompute, so the same gradients).
    func outputLayerForward(_ batch: TrainingBatch, activations a: TrainingActivations, headGradient: Bool = false,
                            targetWeights: [Float]? = nil, gradients: LlamaGradients? = nil) -> [Float] {
        let v = config.vocabSize, c = config.width
        let fused = targetWeights != nil
        var logProbs = [Float](repeating: 0, count: batch.targetCount)
        var logSumExp = [Double](repeating: 0, count: batch.targetCount)
        for start in stride(from: 0, to: batch.targetCount, by: a.chunk) {
            let rows = min(a.chunk, batch.targetCount - start)
            chunkLogits(batch, activations: a, start: start, rows: rows)
            nonisolated(unsafe) let logits = a.logits.pointer
            logProbs.withUnsafeMutableBufferPointer { lp in
                logSumExp.withUnsafeMutableBufferPointer { ls in
                    nonisolated(unsafe) let lp = lp, ls = ls
                    TrainingThreads.rows(rows, minimum: 2) { _, range in
                        for i in range {
                            let row = logits + i * v, token = batch.targetTokens[start + i]
                            let lse = Kernels.logSumExp(row, count: v)
                            ls[start + i] = lse
                            lp[start + i] = Float(Double(row[token]) - lse)
                            if let targetWeights {  // w·(onehot − softmax), in place (as outputLayerBackward)
                                let w = targetWeights[start + i]
                                _ = VectorMath.expSum(row, count: v, shift: Float(lse), out: row)
                                for j in 0..<v { row[j] *= -w }
                                row[token] += w
                            } else if headGradient {  // onehot − softmax, in place
                                _ = VectorMath.expSum(row, count: v, shift: Float(lse), out: row)
                                for j in 0..<v { row[j] = -row[j] }
                                row[token] += 1
                            }
                        }
                    }
                }
            }
            if fused, let gradients {
                // d(head) [V, C] += dlogitsᵀ [V, R] · hidden [R, C]; tied, the head is the embedding.
                let dHead = gradients.output ?? gradients.tokenEmbedding
                TrainingThreads.gemm(transA: true, transB: false, m: v, n: c, k: rows, a: a.logits.pointer, lda: v,
                                     b: a.gathered.pointer, ldb: c, beta: 1, c: dHead.pointer, ldc: c)
            }
            if headGradient || fused {
                // [R, C] = (onehot − softmax) [R, V] · head [V, C], weighted when fused
                TrainingThreads.gemm(transA: false, transB: false, m: rows, n: c, k: v, a: a.logits.pointer, lda: v,
                                     b: weights.output.pointer, ldb: c, c: a.headGradient.pointer + start * c, ldc: c)
            }
        }
        a.logSumExp = logSumExp
        a.headGradientReady = headGradient || fused
        a.headGradientWeights = targetWeights
        return logProbs
    }

    /// Backward of the fused head and log-softmax. `weights` = dL/dlog π per target. With p = softmax:
    /// dlogits_j = w·(1[j = target] − p_j); d(hidden) = dlogits·Headᵀ, scattered to `dHidden` [N, C] (rows
    /// without a target get 0); the head's gradient (tied: the embedding's) += dlogitsᵀ·hidden when
    /// `gradients` is given.
    func outputLayerBackward(_ batch: TrainingBatch, weights targetWeights: [Float], activations a: TrainingActivations,
                             gradients: LlamaGradients?, dHidden: UnsafeMutablePointer<Float>) throws {
        let c = config.width, v = config.vocabSize
        dHidden.update(repeating: 0, count: batch.rowCount * c)
        if a.headGradientReady, let fused = a.headGradientWeights {
            // The forward pass ran this layer's backward with these weights (and added the head's gradient).
            guard fused == targetWeights else {
                throw LlamaError.invalidRequest("backward: token weights differ from those given to the forward pass")
            }
            for (i, row) in batch.targetRows.enumerated() {
                let dst = dHidden + row * c, src = a.headGradient.pointer + i * c
                for k in 0..<c { dst[k] += src[k] }
            }
            return
        }
        if gradients == nil && a.headGradientReady {
            for (i, row) in batch.targetRows.enumerated() {
                let dst = dHidden + row * c, src = a.headGradient.pointer + i * c, w = targetWeights[i]
                for k in 0..<c { dst[k] += w * src[k] }
            }
            return
        }
        for start in stride(from: 0, to: batch.targetCount, by: a.chunk) {
            let rows = min(a.chunk, batch.targetCount - start)
            chunkLogits(batch, activations: a, start: start, rows: rows)
            let dLogits = a.logits.pointer  // [R, V], overwrites the logits row by row
            nonisolated(unsafe) let rowsOut = dLogits
            TrainingThreads.rows(rows, minimum: 2) { _, range in
                for i in range {
                    let row = rowsOut + i * v
                    let w = targetWeights[start + i]
                    // softmax_j = exp(logit_j − lse) with the vectorized exp, then dlogits_j = −w·softmax_j.
                    _ = VectorMath.expSum(row, count: v, shift: Float(a.logSumExp[start + i]), out: row)
                    for j in 0..<v { row[j] *= -w }
                    row[batch.targetTokens[start + i]] += w
                }
            }
            if let gradients {
                // d(head) [V, C] += dlogitsᵀ [V, R] · hidden [R, C]; tied, the head is the embedding.
                let dHead = gradients.output ?? gradients.tokenEmbedding
                TrainingThreads.gemm(transA: true, transB: false, m: v, n: c, k: rows, a: dLogits, lda: v, b: a.gathered.pointer,
                          ldb: c, beta: 1, c: dHead.pointer, ldc: c)
            }
            // d(hidden) [R, C] = dlogits [R, V] · head [V, C], into `gathered` (no longer needed).
            TrainingThreads.gemm(transA: false, transB: false, m: rows, n: c, k: v, a: dLogits, lda: v, b: weights.output.pointer,
                      ldb: c, c: a.gathered.pointer, ldc: c)
            for i in 0..<rows {
                let dst = dHidden + batch.targetRows[start + i] * c, src = a.gathered.pointer + i * c
                for k in 0..<c { dst[k] += src[k] }
            }
        }
    }
}
