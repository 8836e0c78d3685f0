import LinearAlgebra
import Synchronization

/// Data-parallel training passes: each worker runs whole sequences (a `BatchShares` share) through every
/// layer with its own activations, instead of both workers splitting every product of one pass.
///
/// Each sequence goes through the same kernels as in the one-batch pass; its log-probs differ only where
/// OpenBLAS blocks a product of fewer rows differently (≤ 2e-6 measured, `DataParallelTests`). Gradients
/// also differ in summation order: the first share accumulates into the caller's gradients, every other
/// share into private ones that are then added in.
extension LlamaModel {
    /// The forward pass over the shares of `plan`; the log-probs come back in the full batch's order, and
    /// the plan is kept in `a` for the backward pass. Head gradients computed here (`targetWeights` with
    /// `gradients`) are added into `gradients` before returning, as in the one-batch pass.
    func forwardShares(_ plan: BatchShares, adapters: LoRAAdapters?, activations a: TrainingActivations,
                       chunkRows: Int, saving: Bool, headGradient: Bool, targetWeights: [Float]?,
                       gradients: LlamaGradients?) throws -> [Float] {
        let shares = a.shareActivations(plan.count)
        let weights = targetWeights.map(plan.split)
        let results = Mutex<[[Float]]>(Array(repeating: [], count: plan.count))
        try TrainingThreads.shares(plan.count) { i in
            let g = i == 0 ? gradients : try gradients.map { try shares[i].takePrivateGradients(like: $0, config: config) }
            let logProbs = try forwardLayers(plan.batches[i], adapters: adapters, activations: shares[i],
                                             chunkRows: chunkRows, saving: saving, headGradient: headGradient,
                                             targetWeights: weights?[i], gradients: g)
            results.withLock { $0[i] = logProbs }
        }
        if weights != nil, let gradients {  // only the head's gradient was written
            let head = gradients.output ?? gradients.tokenEmbedding
            for share in shares.dropFirst() {
                guard let own = share.privateGradients else { continue }
                TrainingThreads.absorb([(into: head, from: own.output ?? own.tokenEmbedding)])
                share.privateGradientsDirty = false
            }
        }
        a.sharePlan = plan
        a.savedForBackward = saving
        return plan.gather(results.withLock { $0 })
    }

    /// The backward pass of a data-parallel forward pass over the same batch: every share's backward at
    /// once, then the other shares' private gradients added into `gradients` and `adapterGradients`.
    func backwardShares(_ plan: BatchShares, batch: TrainingBatch, targetWeights: [Float], adapters: LoRAAdapters?,
                        activations a: TrainingActivations, gradients: LlamaGradients?,
                        adapterGradients: LoRAAdapters?) throws {
        guard plan.matches(batch), targetWeights.count == batch.targetCount, a.savedForBackward else {
            throw LlamaError.invalidRequest("backward: \(targetWeights.count) weights for \(batch.targetCount) targets, "
                + "or the activations are not from this batch")
        }
        let shares = a.shareActivations(plan.count)
        let weights = plan.split(targetWeights)
        try TrainingThreads.shares(plan.count) { i in
            let share = shares[i]
            let g = i == 0 ? gradients : try gradients.map { try share.takePrivateGradients(like: $0, config: config) }
            let ag = i == 0 ? adapterGradients
                : try adapterGradients.map { try share.takePrivateAdapterGradients(like: $0, config: config) }
            try backwardLayers(plan.batches[i], targetWeights: weights[i], adapters: adapters, activations: share,
                               gradients: g, adapterGradients: ag)
        }
        for share in shares.dropFirst() {
            var pairs: [(into: FloatBuffer, from: FloatBuffer)] = []
            if let gradients, let own = share.privateGradients {
                pairs += zip(gradients.tensors, own.tensors).map { (into: $0.buffer, from: $1.buffer) }
            }
            if let adapterGradients, let own = share.privateAdapterGradients {
                pairs += zip(adapterGradients.tensors, own.tensors).map { (into: $0.buffer, from: $1.buffer) }
            }
            TrainingThreads.absorb(pairs)
            share.privateGradientsDirty = false
            share.privateAdapterGradientsDirty = false
        }
    }
}

extension TrainingActivations {
    /// This share's private gradients shaped like `gradients`, all zero (cleared first if a failed pass
    /// left partial sums in them). Marked in use until `absorb` has emptied them.
    func takePrivateGradients(like gradients: LlamaGradients, config: LlamaConfig) throws -> LlamaGradients {
        let shape = gradients.tensors.map(\.buffer.count)
        if let own = privateGradients, own.tensors.map(\.buffer.count) == shape {
            if privateGradientsDirty { own.zero() }
            privateGradientsDirty = true
            return own
        }
        let own = LlamaGradients(config: config)
        guard own.tensors.map(\.buffer.count) == shape else {
            throw LlamaError.invalidRequest("training pass: the gradients are not shaped like this model's parameters")
        }
        privateGradients = own
        privateGradientsDirty = true
        return own
    }

    /// This share's private adapter gradients shaped like `gradients` (same rank and targets), all zero.
    func takePrivateAdapterGradients(like gradients: LoRAAdapters, config: LlamaConfig) throws -> LoRAAdapters {
        if let own = privateAdapterGradients, own.config == gradients.config {
            if privateAdapterGradientsDirty { own.zero() }
            privateAdapterGradientsDirty = true
            return own
        }
        let own = try LoRAAdapters(config: gradients.config, model: config)
        privateAdapterGradients = own
        privateAdapterGradientsDirty = true
        return own
    }
}
