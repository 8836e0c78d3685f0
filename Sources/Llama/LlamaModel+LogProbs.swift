import LinearAlgebra
import Synchronization

/// A (prompt, completion) pair to score by teacher forcing.
public struct ScoringPair: Sendable, Equatable {
    /// Conditioning tokens; at least one.
    public var prompt: [Int]
    /// Tokens whose log-probabilities are wanted.
    public var completion: [Int]

    /// Pairs prompt and completion token ids.
    public init(prompt: [Int], completion: [Int]) {
        self.prompt = prompt
        self.completion = completion
    }
}

extension LlamaModel {
    /// One set of scoring activations kept between `completionLogProbs` calls (any model: it only grows to
    /// the largest pass). A call's buffers are ~150 MB at 8 × 192 tokens, most of it one [R, V] logits
    /// chunk per worker, and allocating, zeroing and faulting them in afresh cost ~2 % of the pass. Concurrent calls
    /// each get their own: one takes the spare, the others allocate.
    private static let spareScoringActivations = Mutex<TrainingActivations?>(nil)

    /// Per-token log π(completion[j] | prompt, completion[..<j]) for many pairs at once.
    ///
    /// Pairs are packed into forward passes of at most `maxBatchTokens` tokens (a longer single pair
    /// gets a pass of its own), and the LM head runs over at most `chunkRows` positions at a time, so
    /// memory for logits is chunkRows × V per worker (50 MB at 256), never (all positions) × V. 256 rows
    /// keep the head's product efficient (at 32 rows each [32, C]·[C, V] product streams the whole head
    /// for little work). The passes are the training forward pass without saving
    /// (`forwardPass(saving: false)`): no KV cache, sequences dealt to the workers (`BatchShares`), one
    /// layer's activations alive at a time.
    public func completionLogProbs(_ pairs: [ScoringPair], chunkRows: Int = 256,
                                   maxBatchTokens: Int = 2048) throws -> [[Float]] {
        guard chunkRows >= 1, maxBatchTokens >= 1 else {
            throw LlamaError.invalidRequest("chunkRows and maxBatchTokens must be positive")
        }
        for (index, pair) in pairs.enumerated() {
            if pair.prompt.isEmpty { throw LlamaError.invalidRequest("pair \(index): empty prompt") }
            try checkTokens(pair.prompt, context: "pair \(index) prompt")
            try checkTokens(pair.completion, context: "pair \(index) completion")
            let length = pair.prompt.count + pair.completion.count
            if length > config.contextLength {
                throw LlamaError.invalidRequest(
                    "pair \(index): \(length) tokens exceed the context length \(config.contextLength)")
            }
        }
        var results = [[Float]](repeating: [], count: pairs.count)
        var batch: [Int] = []
        var batchTokens = 0
        // Grown once, reused by every packed pass of this call and kept for the next call.
        let activations = Self.spareScoringActivations.withLock { spare in
            let taken = spare
            spare = nil
            return taken
        } ?? TrainingActivations()
        defer { Self.spareScoringActivations.withLock { $0 = activations } }
        func flush() throws {
            if batch.isEmpty { return }
            let packed = try TrainingBatch(pairs: batch.map { pairs[$0] }, config: config)
            let logProbs = try forwardPass(packed, adapters: nil, activations: activations, chunkRows: chunkRows,
                                           saving: false, headGradient: false)
            for (index, values) in zip(batch, packed.perPair(logProbs)) { results[index] = values }
            batch = []
            batchTokens = 0
        }
        for index in pairs.indices {
            // The last completion token is never fed: no prediction is needed after it.
            let fed = pairs[index].prompt.count + max(pairs[index].completion.count - 1, 0)
            if batchTokens + fed > maxBatchTokens { try flush() }
            batch.append(index)
            batchTokens += fed
        }
        try flush()
        return results
    }
}
