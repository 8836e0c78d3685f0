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
