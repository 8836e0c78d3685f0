import Foundation
import Testing
@testable import LinearAlgebra
@testable import Llama

/// The training forward pass against the inference path and the naive reference. Same tolerances as
/// LogProbsTests: 1e-4 against the Double reference, 1e-5 against the inference path (same kernels, only
/// GEMM blocking and chunking may differ).
@Suite struct TrainingForwardTests {
    static let pairs = [
        ScoringPair(prompt: [1, 2, 3], completion: [4, 5, 6, 7]),
        ScoringPair(prompt: [9], completion: [10]),
        ScoringPair(prompt: [60, 59, 58, 57, 56], completion: [0, 1, 2, 2, 2, 40]),
        ScoringPair(prompt: [33, 33], completion: []),
        ScoringPair(prompt: [7, 8], completion: [9, 10, 11]),
    ]

    @Test(arguments: [true, false])
    func matchesInferenceAndReference(tied: Bool) throws {
        let model = try TinyModels.model(tied: tied)
        // The inference path (KV-cache forward, then the head and log-softmax), independent of the training
        // forward pass that `completionLogProbs` runs.
        let inference = try Self.pairs.map { pair in
            let fed = pair.prompt + pair.completion.dropLast()
            let hidden = try model.forward([BatchEntry(cache: try model.makeCache(capacity: fed.count), tokens: fed)])
            let logits = TinyModels.logits(model, hidden)
            return pair.completion.enumerated().map { j, token in
                let row = logits[pair.prompt.count - 1 + j]
                let m = row.max()!, lse = Double(m) + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) })
                return Float(Double(row[token]) - lse)
            }
        }
        let scored = try model.completionLogProbs(Self.pairs)
        let reference = ReferenceLlama(config: model.config, weights: model.weights)
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        for chunk in [1, 3, 256] {
            let training = batch.perPair(try model.trainingForward(batch, activations: TrainingActivations(),
                                                                    chunkRows: chunk))
            for (i, pair) in Self.pairs.enumerated() {
                #expect(training[i].count == pair.completion.count)
                let expected = reference.logProbs(prompt: pair.prompt, completion: pair.completion)
                for (j, value) in training[i].enumerated() {
                    #expect(abs(value - inference[i][j]) < 1e-5, "pair \(i) token \(j) chunk \(chunk)")
                    #expect(abs(value - scored[i][j]) < 1e-5)
                    #expect(abs(Double(value) - expected[j]) < 1e-4)
                }
            }
        }
    }

    @Test func activationsAreReusedAcrossBatchesOfOtherShapes() throws {
        let model = try TinyModels.model()
        let activations = TrainingActivations()
        let big = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let small = try TrainingBatch(pairs: [Self.pairs[1], Self.pairs[4]], config: model.config)
        let first = try model.trainingForward(big, activations: activations)
        _ = try model.trainingForward(small, activations: activations)
        let again = try model.trainingForward(big, activations: activations)
        #expect(first == again)
        #expect(activations.savedBytes > 0 && activations.scratchBytes > 0)
    }

    /// Token weights given to the forward pass (the head's backward fused into it) give the same gradients
    /// as the backward pass's logits recompute, with one chunk or several, tied or untied: the same f32
    /// arithmetic on the same values, so equal to 1e-6 of each tensor's largest entry. Backward with other
    /// weights than the forward's is refused.
    @Test(arguments: [true, false], [3, 256])
    func fusedHeadBackwardMatchesRecompute(tied: Bool, chunk: Int) throws {
        let model = try TinyModels.model(tied: tied)
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        var random = SeededRandom(seed: 9)
        let weights = (0..<batch.targetCount).map { _ in Float(random.nextUnit() * 2 - 1) }
        let plain = LlamaGradients(config: model.config), fused = LlamaGradients(config: model.config)
        let a = TrainingActivations(), b = TrainingActivations()
        let lp1 = try model.trainingForward(batch, activations: a, chunkRows: chunk)
        try model.trainingBackward(batch, targetWeights: weights, activations: a, gradients: plain)
        let lp2 = try model.trainingForward(batch, activations: b, chunkRows: chunk, targetWeights: weights,
                                            gradients: fused)
        try model.trainingBackward(batch, targetWeights: weights, activations: b, gradients: fused)
        #expect(lp1 == lp2)
        for (p, f) in zip(plain.tensors, fused.tensors) {
            let scale = p.buffer.array.map(abs).max() ?? 0
            let worst = zip(p.buffer.array, f.buffer.array).map { abs($0 - $1) }.max() ?? 0
            #expect(scale > 0 && worst <= 1e-6 * scale, "\(p.name): \(worst) of \(scale)")
        }
        _ = try model.trainingForward(batch, activations: b, chunkRows: chunk, targetWeights: weights, gradients: fused)
        #expect(throws: LlamaError.self) {
            try model.trainingBackward(batch, targetWeights: weights.map { $0 * 2 }, activations: b, gradients: fused)
        }
    }

    @Test func refusesBadBatches() throws {
        let model = try TinyModels.model()
        #expect(throws: LlamaError.self) { try TrainingBatch(pairs: [ScoringPair(prompt: [], completion: [1])], config: model.config) }
        #expect(throws: LlamaError.self) { try TrainingBatch(pairs: [ScoringPair(prompt: [1], completion: [61])], config: model.config) }
        #expect(throws: LlamaError.self) {
            try TrainingBatch(pairs: [ScoringPair(prompt: [Int](repeating: 1, count: 60), completion: [1, 2, 3, 4, 5])],
                              config: model.config)
        }
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let activations = TrainingActivations()
        _ = try model.trainingForward(batch, activations: activations)
        #expect(throws: LlamaError.self) {
            try model.trainingBackward(batch, targetWeights: [1, 2], activations: activations,
                                       gradients: LlamaGradients(config: model.config))
        }
    }
}
