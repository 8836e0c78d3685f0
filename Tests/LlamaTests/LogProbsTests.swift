import Testing
@testable import Llama

/// Teacher-forced log-probs: against the naive reference, and invariant under chunking and packing.
/// Tolerance 1e-4 against the Double reference (log-softmax of O(1) logits, see LlamaModelTests);
/// 1e-5 between chunkings of the same computation.
@Suite struct LogProbsTests {
    static let pairs = [
        ScoringPair(prompt: [1, 2, 3], completion: [4, 5, 6, 7]),
        ScoringPair(prompt: [9], completion: [10]),
        ScoringPair(prompt: [60, 59, 58, 57, 56], completion: [0, 1, 2]),
        ScoringPair(prompt: [33, 33], completion: []),
    ]

    @Test func matchesReference() throws {
        let model = try TinyModels.model(tied: false)
        let reference = ReferenceLlama(config: model.config, weights: model.weights)
        let got = try model.completionLogProbs(Self.pairs)
        for (pair, values) in zip(Self.pairs, got) {
            let expected = reference.logProbs(prompt: pair.prompt, completion: pair.completion)
            #expect(values.count == pair.completion.count)
            for (a, b) in zip(values, expected) { #expect(abs(Double(a) - b) < 1e-4) }
            #expect(values.allSatisfy { $0 <= 0 })
        }
    }

    @Test func chunkingAndPackingDoNotChangeResults() throws {
        let model = try TinyModels.model()
        let base = try model.completionLogProbs(Self.pairs, chunkRows: 1000, maxBatchTokens: 10000)
        for (chunkRows, maxBatchTokens) in [(1, 10000), (3, 10000), (2, 1), (5, 7)] {
            let other = try model.completionLogProbs(Self.pairs, chunkRows: chunkRows, maxBatchTokens: maxBatchTokens)
            for (x, y) in zip(base, other) {
                #expect(x.count == y.count)
                for (a, b) in zip(x, y) { #expect(abs(a - b) < 1e-5, "chunk \(chunkRows) batch \(maxBatchTokens)") }
            }
        }
    }

    @Test func refusesBadPairs() throws {
        let model = try TinyModels.model()
        #expect(throws: LlamaError.self) { try model.completionLogProbs([ScoringPair(prompt: [], completion: [1])]) }
        #expect(throws: LlamaError.self) { try model.completionLogProbs([ScoringPair(prompt: [1], completion: [-1])]) }
        #expect(throws: LlamaError.self) {
            try model.completionLogProbs([ScoringPair(prompt: [Int](repeating: 1, count: 60), completion: [1, 2, 3, 4, 5])])
        }
    }
}
