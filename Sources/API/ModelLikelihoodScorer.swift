import Dispatch
import Foundation
import LinearAlgebra
import Llama
import Rewards
import Synchronization
import Tokenization

/// The loaded model as the `CompletionLikelihoodScorer` of a `model_judge` reward: each query's prompt becomes one
/// user message in the model's chat template, followed by the assistant header, and the continuation is scored as
/// the start of the assistant's reply by teacher forcing (summed natural-log probabilities; nothing sampled).
///
/// A judge asks several continuations (the three verdicts) after the same long rubric, so each distinct prompt is
/// run through the model once and the continuations continue from forks of its KV cache: about a third of the
/// work of scoring every pair from scratch.
///
/// Two ways to run it. Standalone (`grao score`, `grao train`: nothing else uses the model at the same time), wire
/// it with `RewardContext(likelihoodScorer:)` and `logLikelihoods` runs the work on the scorer's own serial queue.
/// In the server the compute engine owns the model: there `EngineLikelihoodScorer` is the context's scorer and
/// calls `logLikelihoodsNow` inside engine jobs, on a scorer the engine context keeps.
public final class ModelLikelihoodScorer: CompletionLikelihoodScorer {
    /// Why a batch could not be scored.
    public struct ScorerError: Error, CustomStringConvertible {
        /// What went wrong, naming the query.
        public let description: String

        /// An error with its message.
        public init(description: String) { self.description = description }
    }

    /// Work done so far, for benchmarks and metrics.
    public struct Statistics: Sendable, Equatable {
        /// `logLikelihoods` calls.
        public var calls = 0
        /// Queries scored.
        public var queries = 0
        /// Tokens run through the model: distinct prompts once each, plus continuation tokens but the last.
        public var fedTokens = 0
        /// Rows given to the LM head (one per continuation token).
        public var headRows = 0
    }

    /// The model whose likelihoods are read (never changed by the scorer).
    public let model: LlamaModel
    /// Its tokenizer.
    public let tokenizer: BPETokenizer
    /// Its chat template, which frames each query's prompt as a user message.
    public let template: ChatTemplate
    /// The template's tokens before and after a user message's text (system message, headers, generation prompt).
    let messagePrefix: [Int], messageSuffix: [Int]
    /// Prompt tokens per forward pass (a longer single prompt gets a pass of its own); bounds the KV caches and
    /// activations held at once.
    public let maxBatchTokens: Int
    /// The async entry point runs the (blocking, compute-bound) work here, off Swift's cooperative threads.
    private let queue = DispatchQueue(label: "grao.model-likelihood-scorer")
    private let counters = Mutex(Statistics())

    /// Work done so far.
    public var statistics: Statistics { counters.withLock { $0 } }

    /// A scorer over a model, its tokenizer and its chat template.
    public init(model: LlamaModel, tokenizer: BPETokenizer, template: ChatTemplate, maxBatchTokens: Int = 2048) {
        self.model = model
        self.tokenizer = tokenizer
        self.template = template
        self.maxBatchTokens = max(1, maxBatchTokens)
        // The template writes a message's content verbatim, so the marker is found (the last occurrence, in case
        // the default system message contains it).
        let marker = "\u{1}grao-message\u{1}"
        let rendered = template.render([ChatMessage(role: "user", content: marker)], addGenerationPrompt: true)
        let cut = rendered.range(of: marker, options: .backwards)!
        messagePrefix = tokenizer.encode(String(rendered[..<cut.lowerBound]), parseSpecial: true)
        messageSuffix = tokenizer.encode(String(rendered[cut.upperBound...]), parseSpecial: true, addSpecialTokens: false)
    }

    /// `logLikelihoodsNow` on the scorer's own queue, so the caller's concurrency thread is not blocked. Only
    /// for a model nothing else runs at the same time (see the type's note).
    public func logLikelihoods(_ queries: [LikelihoodQuery]) async throws -> [Double] {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try self.logLikelihoodsNow(queries) }) }
        }
    }

    /// Token ids of a prompt: the chat template around one user message, then the assistant header. The message
    /// text is encoded on its own without parsing control tokens, so a completion that writes `<|im_end|>` cannot
    /// close the judge's message early.
    public func promptTokens(_ text: String) -> [Int] {
        messagePrefix + tokenizer.encode(text, parseSpecial: false, addSpecialTokens: false) + messageSuffix
    }

    /// Token ids of a continuation: plain text, no control tokens.
    public func continuationTokens(_ text: String) -> [Int] {
        tokenizer.encode(text, parseSpecial: false, addSpecialTokens: false)
    }

    /// The scoring itself, blocking the calling thread (which must be the only one using the model meanwhile).
    public func logLikelihoodsNow(_ queries: [LikelihoodQuery]) throws -> [Double] {
        // Distinct prompts in order of first use, and the queries that continue each.
        var promptIndex: [String: Int] = [:]
        var prompts: [[Int]] = []
        var users: [[Int]] = []
        var continuations: [[Int]] = []
        for (q, query) in queries.enumerated() {
            let p = promptIndex[query.prompt] ?? {
                promptIndex[query.prompt] = prompts.count
                prompts.append(promptTokens(query.prompt))
                users.append([])
                return prompts.count - 1
            }()
            users[p].append(q)
            let tokens = continuationTokens(query.continuation)
            let length = prompts[p].count + tokens.count
            guard length <= model.config.contextLength else {
                throw ScorerError(description: "query \(q): \(length) tokens exceed the model's context length \(model.config.contextLength)")
            }
            continuations.append(tokens)
        }
        var results = [Double](repeating: 0, count: queries.count)
        let workspace = ForwardWorkspace()
        var chunk: [Int] = []
        var chunkTokens = 0
        for p in prompts.indices {
            if !chunk.isEmpty && chunkTokens + prompts[p].count > maxBatchTokens {
                try score(chunk, prompts: prompts, users: users, continuations: continuations, workspace: workspace,
                          into: &results)
                chunk = []
                chunkTokens = 0
            }
            chunk.append(p)
            chunkTokens += prompts[p].count
        }
        if !chunk.isEmpty {
            try score(chunk, prompts: prompts, users: users, continuations: continuations, workspace: workspace,
                      into: &results)
        }
        let fed = prompts.reduce(0) { $0 + $1.count } + continuations.reduce(0) { $0 + max($1.count - 1, 0) }
        let rows = continuations.reduce(0) { $0 + $1.count }
        counters.withLock {
            $0.calls += 1
            $0.queries += queries.count
            $0.fedTokens += fed
            $0.headRows += rows
        }
        return results
    }

    /// Prefills the prompts `chunk` in one pass, then runs every continuation of them from a fork of its prompt's
    /// cache in a second pass, and sums the log-probabilities of the continuation tokens.
    private func score(_ chunk: [Int], prompts: [[Int]], users: [[Int]], continuations: [[Int]],
                       workspace: ForwardWorkspace, into results: inout [Double]) throws {
        let c = model.config.width
        let caches = try chunk.map { try model.makeCache(capacity: prompts[$0].count) }
        let prefill = try model.forward(zip(caches, chunk).map { BatchEntry(cache: $0, tokens: prompts[$1]) },
                                        workspace: workspace)  // [sum of prompt lengths, C]
        let lastRows = FloatBuffer(count: chunk.count * c)  // [prompts in chunk, C]: each prompt's last position
        var end = 0
        for (k, p) in chunk.enumerated() {
            end += prompts[p].count
            (lastRows.pointer + k * c).update(from: prefill.pointer + (end - 1) * c, count: c)
        }
        // Rows to score: (query, source row, target token). The first token of each continuation is predicted
        // by its prompt's last row; the others by the rows of the continuation pass.
        var entries: [BatchEntry] = []
        var fromPrompt: [(query: Int, row: Int, token: Int)] = []
        var fromContinuation: [(query: Int, row: Int, token: Int)] = []
        var row = 0
        for (k, p) in chunk.enumerated() {
            for q in users[p] where !continuations[q].isEmpty {
                let tokens = continuations[q]
                fromPrompt.append((q, k, tokens[0]))
                guard tokens.count > 1 else { continue }
                let fed = Array(tokens.dropLast())
                entries.append(BatchEntry(cache: try caches[k].fork(config: model.config, capacity: fed.count), tokens: fed))
                for j in 1..<tokens.count { fromContinuation.append((q, row + j - 1, tokens[j])) }
                row += fed.count
            }
        }
        addLogProbs(fromPrompt, rows: lastRows.pointer, into: &results)
        if !entries.isEmpty {
            let hidden = try model.forward(entries, workspace: workspace)  // [sum of continuation lengths - 1, C]
            addLogProbs(fromContinuation, rows: hidden.pointer, into: &results)
        }
    }

    /// results[query] += log softmax(logits(row))[token] for each target, running the LM head over at most 32 rows
    /// at a time so logits never take more than 32 × V floats.
    private func addLogProbs(_ targets: [(query: Int, row: Int, token: Int)], rows: UnsafePointer<Float>,
                             into results: inout [Double]) {
        let c = model.config.width, v = model.config.vocabSize
        let chunkRows = min(32, targets.count)
        guard chunkRows > 0 else { return }
        let gathered = FloatBuffer(count: chunkRows * c)  // [chunkRows, C]
        let logits = FloatBuffer(count: chunkRows * v)    // [chunkRows, V]
        for start in stride(from: 0, to: targets.count, by: chunkRows) {
            let part = targets[start..<min(start + chunkRows, targets.count)]
            for (i, t) in part.enumerated() { (gathered.pointer + i * c).update(from: rows + t.row * c, count: c) }
            model.logits(hidden: gathered.pointer, rows: part.count, into: logits.pointer)
            for (i, t) in part.enumerated() {
                let rowLogits = logits.pointer + i * v
                results[t.query] += Double(rowLogits[t.token]) - Kernels.logSumExp(rowLogits, count: v)
            }
        }
    }
}
