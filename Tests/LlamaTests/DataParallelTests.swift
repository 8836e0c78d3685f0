import Testing
@testable import LinearAlgebra
@testable import Llama

/// Data-parallel passes (each worker runs whole sequences, `LlamaModel+DataParallel.swift`) against the same
/// batch run as one pass on one thread. Log-probs: each row's arithmetic is the same whichever rows share its
/// pass, so they agree to 1e-6 (the kernels' blocking may differ with the row count). Gradients: the shares'
/// sums are added in another order, so 1e-5 of each tensor's largest entry (f32 rounding of a few hundred
/// terms). OpenBLAS's thread count is set for each side (1: one pass; 2: two shares) and restored.
@Suite(.serialized) struct DataParallelTests {
    static let pairs = TrainingForwardTests.pairs

    /// Log-probs and gradients of one forward + backward with OpenBLAS on `threads` threads; `shared` says
    /// whether the pass was dealt to shares.
    static func pass(_ model: LlamaModel, threads: Int, lora: Bool, fused: Bool, weights: [Float]) throws
        -> (logProbs: [Float], gradients: [(name: String, buffer: FloatBuffer)], shared: Bool) {
        let saved = BLAS.threadCount
        BLAS.threadCount = threads
        defer { BLAS.threadCount = saved }
        let batch = try TrainingBatch(pairs: pairs, config: model.config)
        let a = TrainingActivations()
        let adapters = lora ? try LoRAAdapters.initialized(config: LoRAConfig(rank: 4, alpha: 8), model: model.config,
                                                          seed: 3, bScale: 0.1) : nil
        let adapterGradients = try adapters.map { try LoRAAdapters(config: $0.config, model: model.config) }
        let gradients = lora ? nil : LlamaGradients(config: model.config)
        let logProbs = try model.trainingForward(batch, adapters: adapters, activations: a, headGradient: lora,
                                                 targetWeights: fused ? weights : nil,
                                                 gradients: fused ? gradients : nil)
        let shared = a.sharePlan != nil
        try model.trainingBackward(batch, targetWeights: weights, adapters: adapters, activations: a,
                                   gradients: gradients, adapterGradients: adapterGradients)
        return (logProbs, gradients?.tensors ?? adapterGradients!.tensors, shared)
    }

    @Test(arguments: [(false, false), (false, true), (true, false)], [true, false])
    func sharesMatchOnePass(mode: (lora: Bool, fused: Bool), tied: Bool) throws {
        let model = try TinyModels.model(tied: tied)
        var random = SeededRandom(seed: 11)
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let weights = (0..<batch.targetCount).map { _ in Float(random.nextUnit() * 2 - 1) }
        let one = try Self.pass(model, threads: 1, lora: mode.lora, fused: mode.fused, weights: weights)
        let shared = try Self.pass(model, threads: 2, lora: mode.lora, fused: mode.fused, weights: weights)
        #expect(!one.shared && shared.shared)
        let worstLogProb = zip(one.logProbs, shared.logProbs).map { abs($0 - $1) }.max() ?? 0
        #expect(worstLogProb <= 1e-5, "log-probs differ by \(worstLogProb)")
        for (o, s) in zip(one.gradients, shared.gradients) {
            let scale = o.buffer.array.map(abs).max() ?? 0
            let worst = zip(o.buffer.array, s.buffer.array).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * max(scale, 1e-30), "\(o.name): \(worst) of \(scale)")
        }
    }

    /// Private gradients are left zero after each pass, so a second pass into the same gradients adds
    /// exactly the first one's contribution again; and a backward for another batch is refused.
    @Test func passesAccumulateAndRefuseAnotherBatch() throws {
        let saved = BLAS.threadCount
        BLAS.threadCount = 2
        defer { BLAS.threadCount = saved }
        let model = try TinyModels.model()
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let weights = [Float](repeating: 0.5, count: batch.targetCount)
        let a = TrainingActivations(), once = LlamaGradients(config: model.config), twice = LlamaGradients(config: model.config)
        _ = try model.trainingForward(batch, activations: a)
        try model.trainingBackward(batch, targetWeights: weights, activations: a, gradients: once)
        for _ in 0..<2 {
            _ = try model.trainingForward(batch, activations: a)
            try model.trainingBackward(batch, targetWeights: weights, activations: a, gradients: twice)
        }
        #expect(a.sharePlan != nil)
        for (o, t) in zip(once.tensors, twice.tensors) {
            let scale = o.buffer.array.map(abs).max() ?? 0
            let worst = zip(o.buffer.array, t.buffer.array).map { abs(2 * $0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * max(scale, 1e-30), "\(o.name)")
        }
        for share in a.shareActivations(2) {
            #expect(share.privateGradients.map { $0.tensors.allSatisfy { $0.buffer.array.allSatisfy { $0 == 0 } } } ?? true)
        }
        let other = try TrainingBatch(pairs: Array(Self.pairs.prefix(4)), config: model.config)
        _ = try model.trainingForward(batch, activations: a)
        #expect(throws: LlamaError.self) {
            try model.trainingBackward(other, targetWeights: [Float](repeating: 1, count: other.targetCount),
                                       activations: a, gradients: once)
        }
    }

    /// Private gradients that a failed pass may have left partly summed are cleared before their next use.
    @Test func dirtyPrivateGradientsAreCleared() throws {
        let model = try TinyModels.model()
        let share = TrainingActivations(), gradients = LlamaGradients(config: model.config)
        let own = try share.takePrivateGradients(like: gradients, config: model.config)
        for t in own.tensors { t.buffer.pointer.update(repeating: 3, count: t.buffer.count) }  // a pass dies here
        let again = try share.takePrivateGradients(like: gradients, config: model.config)
        #expect(again === own && again.tensors.allSatisfy { $0.buffer.array.allSatisfy { $0 == 0 } })
        let untied = LlamaGradients(config: TinyModels.config(tied: false))
        #expect(throws: LlamaError.self) { try share.takePrivateGradients(like: untied, config: model.config) }
    }
}
