import LinearAlgebra

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
    /// Per-token log π(completion[j] | prompt, completion[..<j]) for many pairs at once.
    ///
    /// Pairs are packed into forward passes of at most `maxBatchTokens` tokens (a longer single pair
    /// gets a pass of its own), and the LM head runs over at most `chunkRows` positions at a time, so
    /// memory for logits is chunkRows × V, never (all positions) × V.
    public func completionLogProbs(_ pairs: [ScoringPair], chunkRows: Int = 32,
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
        func flush() throws {
            if batch.isEmpty { return }
            try scoreBatch(batch, pairs: pairs, chunkRows: chunkRows, into: &results)
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

    /// One forward pass over the pairs `indices`, then the chunked LM head over the predicting rows.
    private func scoreBatch(_ indices: [Int], pairs: [ScoringPair], chunkRows: Int,
                            into results: inout [[Float]]) throws {
        let c = config.width, v = config.vocabSize
        var entries: [BatchEntry] = []
        var targets: [(pair: Int, row: Int, token: Int)] = []  // row in the forward output
        var row = 0
        for index in indices {
            let pair = pairs[index]
            let fed = pair.prompt + pair.completion.dropLast()
            entries.append(BatchEntry(cache: try makeCache(capacity: fed.count), tokens: fed))
            for (j, token) in pair.completion.enumerated() {
                targets.append((index, row + pair.prompt.count - 1 + j, token))
            }
            row += fed.count
        }
        let hidden = try forward(entries)  // [N, C]
        let chunk = min(chunkRows, max(targets.count, 1))
        let gathered = FloatBuffer(count: chunk * c)  // [chunk, C]
        let logits = FloatBuffer(count: chunk * v)    // [chunk, V]
        for start in stride(from: 0, to: targets.count, by: chunk) {
            let part = targets[start..<min(start + chunk, targets.count)]
            for (i, target) in part.enumerated() {
                (gathered.pointer + i * c).update(from: hidden.pointer + target.row * c, count: c)
            }
            self.logits(hidden: gathered.pointer, rows: part.count, into: logits.pointer)
            for (i, target) in part.enumerated() {
                let rowLogits = logits.pointer + i * v
                let logProb = Double(rowLogits[target.token]) - Kernels.logSumExp(rowLogits, count: v)
                results[target.pair].append(Float(logProb))
            }
        }
    }
}
