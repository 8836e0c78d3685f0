import Foundation
import LinearAlgebra
import Llama

extension PolicyTrainer {
    /// One optimizer step over `items`: forward, objective, backward per micro-batch with gradients summed,
    /// then clipping and AdamW. Every item's loss is scaled by 1/items, so the summed gradient is the same
    /// whatever the micro-batch split. A non-finite loss, token weight or gradient skips the step: gradients
    /// are dropped, weights and optimizer state stay as they were, and the metrics say why.
    public func step(_ items: [ObjectiveItem]) throws -> StepMetrics {
        guard !items.isEmpty else { throw AlignmentError.invalidTraining("a step needs at least one item") }
        let start = ContinuousClock.now
        for t in gradientTensors { t.buffer.zero() }
        let scale = 1 / Double(items.count)
        var loss = 0.0, terms: [String: Double] = [:], tokens = 0, fed = 0, sequences = 0
        var skipReason: String?
        let parts = microBatches(items)
        batches: for part in parts {
            let pairs = part.flatMap { items[$0].sequences }
            let batch = try TrainingBatch(pairs: pairs, config: model.config)
            // LoRA leaves the head frozen: its backward needs only d log π / d hidden, computed in the forward.
            // Full fine-tuning with weights known up front (SFT) runs the head's backward in the forward.
            let fixed = adapters == nil ? try fixedWeights(part.map { items[$0] }, scale: scale) : nil
            let flat = try model.trainingForward(batch, adapters: adapters, activations: activations,
                                                 chunkRows: config.chunkRows, headGradient: adapters != nil,
                                                 targetWeights: fixed, gradients: fixed == nil ? nil : gradients)
            let logProbs = batch.perPair(flat)
            var weights: [Float] = []
            weights.reserveCapacity(flat.count)
            var offset = 0
            for i in part {
                let n = items[i].sequences.count
                let own = Array(logProbs[offset..<offset + n])
                let out = items[i].evaluate(own, scale)
                guard out.tokenWeights.map(\.count) == own.map(\.count) else {
                    throw AlignmentError.invalidTraining("item \(i): objective returned token weights shaped "
                        + "\(out.tokenWeights.map(\.count)), expected \(own.map(\.count))")
                }
                loss += out.loss
                for (k, v) in out.terms { terms[k, default: 0] += v }
                for w in out.tokenWeights { weights += w }
                offset += n
            }
            tokens += batch.targetCount
            fed += batch.rowCount
            sequences += pairs.count
            if !loss.isFinite || weights.contains(where: { !$0.isFinite }) {
                skipReason = "non-finite loss or token weight"
                break batches
            }
            try model.trainingBackward(batch, targetWeights: weights, adapters: adapters, activations: activations,
                                       gradients: gradients, adapterGradients: adapterGradients)
        }

        let grads = gradientTensors
        let norm = skipReason == nil
            ? GradientClipping.globalNorm(grads.map { UnsafeBufferPointer(start: $0.buffer.pointer, count: $0.buffer.count) })
            : .nan
        if skipReason == nil, !norm.isFinite { skipReason = "non-finite gradient" }
        let learningRate = config.schedule.rate(atStep: optimizer.step + 1)
        if skipReason != nil {
            for t in grads { t.buffer.zero() }
            skippedSteps += 1
        } else {
            let clip = config.maxGradNorm.map { GradientClipping.scale(norm: norm, maxNorm: $0) } ?? 1
            let params = parameterTensors
            optimizer.beginStep()
            for (index, (p, g)) in zip(params, grads).enumerated() {
                if clip != 1 {
                    let gp = g.buffer.pointer
                    for i in 0..<g.buffer.count { gp[i] *= clip }
                }
                optimizer.update(tensor: index, parameters: UnsafeMutableBufferPointer(start: p.buffer.pointer, count: p.buffer.count),
                                 gradients: UnsafeBufferPointer(start: g.buffer.pointer, count: g.buffer.count),
                                 learningRate: Float(learningRate))
            }
            try weightsChanged()
        }
        let elapsed = ContinuousClock.now - start
        return StepMetrics(step: optimizer.step, applied: skipReason == nil, skipReason: skipReason, loss: loss,
                           terms: terms, gradNorm: norm, learningRate: learningRate, items: items.count,
                           sequences: sequences, tokens: tokens, fedTokens: fed, microBatches: parts.count,
                           seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// The token weights of a micro-batch's items (flat, in batch order) when every item's weights are
    /// independent of the log-probs and finite; nil otherwise (the head then runs its usual backward).
    func fixedWeights(_ items: [ObjectiveItem], scale: Double) throws -> [Float]? {
        guard items.allSatisfy(\.fixedTokenWeights) else { return nil }
        var weights: [Float] = []
        for item in items {
            let zeros = item.sequences.map { [Float](repeating: 0, count: max($0.completion.count, 0)) }
            let out = item.evaluate(zeros, scale)
            guard out.tokenWeights.map(\.count) == zeros.map(\.count) else { return nil }
            for w in out.tokenWeights { weights += w }
        }
        return weights.allSatisfy(\.isFinite) ? weights : nil
    }

    /// Per-token log-probs of completions under the current policy, no gradient (inference path).
    public func policyLogProbs(_ pairs: [ScoringPair]) throws -> [[Float]] {
        try policy.completionLogProbs(pairs)
    }

    /// Per-token log-probs under the reference policy (see `referencePolicy()`).
    public func referenceLogProbs(_ pairs: [ScoringPair]) throws -> [[Float]] {
        try referencePolicy().completionLogProbs(pairs)
    }
}
