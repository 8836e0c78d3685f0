import Testing
@testable import LinearAlgebra
@testable import Llama

/// The forward pass on tiny random models against the naive reference and against itself under
/// caching, batching and forking. Tolerances: logits are O(1) after 2 layers; f32 with BLAS keeps
/// them within ~1e-5 of the Double reference, so 1e-4 absolute leaves 10x room while still catching
/// any real mistake (a wrong RoPE pair, head or mask changes logits by 1e-2 or more). Comparisons of
/// the model with itself use 1e-5: only summation order differs.
@Suite struct LlamaModelTests {
    static let tokens = [3, 17, 59, 0, 42, 42, 8, 60, 1, 33, 25]

    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        var worst: Float = 0
        for (x, y) in zip(a, b) { for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) } }
        return worst
    }

    @Test(arguments: [true, false])
    func forwardMatchesNaiveReference(tied: Bool) throws {
        let model = try TinyModels.model(tied: tied)
        let cache = try model.makeCache(capacity: Self.tokens.count)
        let fast = TinyModels.logits(model, try model.forward([BatchEntry(cache: cache, tokens: Self.tokens)]))
        let reference = ReferenceLlama(config: model.config, weights: model.weights).logits(Self.tokens)
        #expect(fast.count == Self.tokens.count)
        var worst = 0.0
        for (x, y) in zip(fast, reference) { for (p, q) in zip(x, y) { worst = max(worst, abs(Double(p) - q)) } }
        #expect(worst < 1e-4, "max |logit - reference| = \(worst)")
        #expect(cache.count == Self.tokens.count)
    }

    @Test func cachedDecodeEqualsFullRecompute() throws {
        let model = try TinyModels.model()
        let full = TinyModels.logits(model, try model.forward([
            BatchEntry(cache: try model.makeCache(capacity: 11), tokens: Self.tokens)]))
        let cache = try model.makeCache(capacity: 11)
        var incremental = TinyModels.logits(model, try model.forward([
            BatchEntry(cache: cache, tokens: Array(Self.tokens[0..<4]))]))
        for t in Self.tokens[4...] {
            incremental += TinyModels.logits(model, try model.forward([BatchEntry(cache: cache, tokens: [t])]))
        }
        #expect(Self.maxDifference(full, incremental) < 1e-5)
    }

    @Test func batchedEqualsUnbatched() throws {
        let model = try TinyModels.model()
        let sequences = [Array(Self.tokens[0..<7]), [5], Array(Self.tokens[2...])]
        var alone: [[Float]] = []
        for s in sequences {
            alone += TinyModels.logits(model, try model.forward([BatchEntry(cache: try model.makeCache(capacity: 16), tokens: s)]))
        }
        let caches = try sequences.map { _ in try model.makeCache(capacity: 16) }
        let together = TinyModels.logits(model, try model.forward(zip(caches, sequences).map { BatchEntry(cache: $0, tokens: $1) }))
        #expect(Self.maxDifference(alone, together) < 1e-5)
        // Mixed step: one sequence decodes one token while another prefills three.
        let mixed = TinyModels.logits(model, try model.forward([
            BatchEntry(cache: caches[0], tokens: [9]), BatchEntry(cache: caches[1], tokens: [1, 2, 3])]))
        let check0 = TinyModels.logits(model, try model.forward([
            BatchEntry(cache: try model.makeCache(capacity: 16), tokens: sequences[0] + [9])]))
        let check1 = TinyModels.logits(model, try model.forward([
            BatchEntry(cache: try model.makeCache(capacity: 16), tokens: [5, 1, 2, 3])]))
        #expect(Self.maxDifference(mixed, [check0.last!] + Array(check1[1...])) < 1e-5)
    }

    @Test func forkedCachesShareThePrompt() throws {
        let model = try TinyModels.model()
        let prompt = Array(Self.tokens[0..<6])
        let parent = try model.makeCache(capacity: prompt.count)
        _ = try model.forward([BatchEntry(cache: parent, tokens: prompt)])
        let children = try (0..<3).map { _ in try parent.fork(config: model.config, capacity: 4) }
        let continuations = [[1, 2], [7, 7], [60, 0]]
        var forked: [[Float]] = []
        for step in 0..<2 {
            forked += TinyModels.logits(model, try model.forward(
                zip(children, continuations).map { BatchEntry(cache: $0, tokens: [$1[step]]) }))
        }
        var fresh: [[Float]] = []
        for step in 0..<2 {
            for continuation in continuations {
                let all = prompt + continuation[0...step]
                fresh.append(TinyModels.logits(model, try model.forward([
                    BatchEntry(cache: try model.makeCache(capacity: all.count), tokens: Array(all))])).last!)
            }
        }
        #expect(Self.maxDifference(forked, fresh) < 1e-5)
        #expect(parent.count == prompt.count && children.allSatisfy { $0.count == prompt.count + 2 })
    }

    @Test func refusesBadInput() throws {
        let model = try TinyModels.model()
        let cache = try model.makeCache(capacity: 2)
        #expect(throws: LlamaError.tokenOutOfRange(token: 61, vocabSize: 61, context: "batch entry 0")) {
            try model.forward([BatchEntry(cache: cache, tokens: [61])])
        }
        #expect(throws: LlamaError.cacheFull(capacity: 2, needed: 3)) {
            try model.forward([BatchEntry(cache: cache, tokens: [1, 2, 3])])
        }
        #expect(throws: LlamaError.self) { try model.forward([BatchEntry(cache: cache, tokens: [1]), BatchEntry(cache: cache, tokens: [2])]) }
        #expect(throws: LlamaError.self) { try model.makeCache(capacity: 65) }
        #expect(cache.count == 0, "a refused batch must not advance the cache")
        var bad = TinyModels.config()
        bad.kvHeadCount = 3
        #expect(throws: LlamaError.self) { try bad.validate() }
    }
}
