/// Sequences of different lengths prepared for a training forward and backward pass.
///
/// The sequences are packed back to back (N = Σ fed tokens rows) rather than padded to [B, T_max]:
/// attention runs per sequence over its own rows, so padding would only cost work and memory that a
/// mask then throws away. Only completion tokens are targets; prompt positions predict nothing.
public struct TrainingBatch: Sendable {
    /// The (prompt, completion) pairs, in order.
    public let pairs: [ScoringPair]
    /// Fed tokens of every sequence back to back: prompt + completion minus its last token. [N]
    public let tokens: [Int]
    /// Position of each fed token within its own sequence. [N]
    public let positions: [Int]
    /// First row and row count of each sequence. [B]
    public let starts: [Int]
    public let lengths: [Int]
    /// For each target (completion token) in pair order: the row whose hidden state predicts it. [targets]
    public let targetRows: [Int]
    /// The target token ids. [targets]
    public let targetTokens: [Int]
    /// Index of each pair's first target in `targetRows`; its count is the completion length. [B]
    public let targetStarts: [Int]

    /// Rows of the packed batch (N).
    public var rowCount: Int { tokens.count }
    /// Targets over all pairs.
    public var targetCount: Int { targetRows.count }

    /// Validates every pair against `config` (non-empty prompt, token ids, context length) and packs them.
    public init(pairs: [ScoringPair], config: LlamaConfig) throws {
        var tokens: [Int] = [], positions: [Int] = [], starts: [Int] = [], lengths: [Int] = []
        var targetRows: [Int] = [], targetTokens: [Int] = [], targetStarts: [Int] = []
        for (index, pair) in pairs.enumerated() {
            if pair.prompt.isEmpty { throw LlamaError.invalidRequest("training pair \(index): empty prompt") }
            for token in pair.prompt + pair.completion where token < 0 || token >= config.vocabSize {
                throw LlamaError.tokenOutOfRange(token: token, vocabSize: config.vocabSize,
                                                 context: "training pair \(index)")
            }
            let fed = pair.prompt + pair.completion.dropLast()
            if fed.count + 1 > config.contextLength {
                throw LlamaError.invalidRequest(
                    "training pair \(index): \(fed.count + 1) tokens exceed the context length \(config.contextLength)")
            }
            let start = tokens.count
            starts.append(start)
            lengths.append(fed.count)
            tokens += fed
            positions += 0..<fed.count
            targetStarts.append(targetRows.count)
            for (j, token) in pair.completion.enumerated() {
                targetRows.append(start + pair.prompt.count - 1 + j)
                targetTokens.append(token)
            }
        }
        self.pairs = pairs
        self.tokens = tokens
        self.positions = positions
        self.starts = starts
        self.lengths = lengths
        self.targetRows = targetRows
        self.targetTokens = targetTokens
        self.targetStarts = targetStarts
    }

    /// Splits a flat per-target array into one array per pair (completion order).
    public func perPair(_ flat: [Float]) -> [[Float]] {
        pairs.indices.map { i in
            Array(flat[targetStarts[i]..<(targetStarts[i] + pairs[i].completion.count)])
        }
    }
}
