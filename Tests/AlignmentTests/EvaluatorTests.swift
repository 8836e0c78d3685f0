import Testing
@testable import Alignment
@testable import Llama

/// The evaluator on a tiny random model: greedy completions are deterministic and do not depend on batching;
/// scores become success flags and verdicts against the reference; failed or contract-breaking scores stay
/// failures, never zeros.
@Suite struct EvaluatorTests {
    /// Token ids as text ("5 7 9"), so tests can read what the model produced.
    struct IdText: TokenTextDecoding {
        func text(of tokens: [Int]) -> String { tokens.map(String.init).joined(separator: " ") }
    }

    static func prompts(_ n: Int) -> [EvaluationPrompt] {
        (0..<n).map { i in
            EvaluationPrompt(task: i % 2 == 0 ? "even" : "odd", tokens: [1, 2 + i, 3 + 2 * i], text: "p\(i)", reference: "r\(i)")
        }
    }

    static func evaluator(_ prompts: [EvaluationPrompt], batchSize: Int, tasks: [String: Evaluator.Task]? = nil,
                          score: @escaping Evaluator.Scorer) throws -> Evaluator {
        try Evaluator(prompts: prompts, tasks: tasks ?? ["even": .init(successThreshold: 1), "odd": .init(successThreshold: 1)],
                      maxTokens: 6, batchSize: batchSize, endOfSequence: [0], decoder: IdText(), score: score)
    }

    @Test func greedyCompletionsDoNotDependOnBatching() throws {
        let model = try PolicyTrainerTests.model(seed: 5)
        let prompts = Self.prompts(7)
        let one = try Self.evaluator(prompts, batchSize: 1) { _, r in r.map { _ in 0 } }.complete(policy: model)
        let all = try Self.evaluator(prompts, batchSize: 16) { _, r in r.map { _ in 0 } }.complete(policy: model)
        let three = try Self.evaluator(prompts, batchSize: 3) { _, r in r.map { _ in 0 } }.complete(policy: model)
        #expect(one.map(\.tokens) == all.map(\.tokens))
        #expect(three.map(\.tokens) == all.map(\.tokens))
        #expect(all.allSatisfy { !$0.tokens.isEmpty && $0.tokens.count <= 6 })
        #expect(Set(all.map(\.tokens)).count > 1, "different prompts should not all give the same completion")
    }

    @Test func scoresSuccessAndVerdictAgainstTheReference() async throws {
        let prompts = Self.prompts(4)
        let seen = Recorder()
        // Reward: 1 for the reference itself, else the completion's length / 10 (so 2 of them beat nothing).
        let evaluator = try Self.evaluator(prompts, batchSize: 2) { task, requests in
            await seen.add(task, requests.count)
            return requests.map { $0.completion == $0.reference ? 1 : Double($0.completion.count) / 10 }
        }
        let results = await evaluator.judge(completions: ["r0", "a", "longer than ten chars", "b"], tokenCounts: [1, 2, 3, 4])
        #expect(results.map(\.reward) == [1, 0.1, 2.1, 0.1])
        #expect(results.map(\.referenceReward) == [1, 1, 1, 1])
        #expect(results.map(\.success) == [true, false, true, false])
        #expect(results.map(\.verdict) == [.tie, .loss, .win, .loss])
        #expect(results.map(\.task) == ["even", "odd", "even", "odd"])
        #expect(await seen.calls == [["even", "4"], ["odd", "4"]], "one call per task: its completions, then its references")
    }

    @Test func pairwiseRewardIsTheVerdict() async throws {
        let evaluator = try Self.evaluator(Self.prompts(3), batchSize: 4,
                                           tasks: ["even": .init(successThreshold: 0, comparison: .pairwise),
                                                   "odd": .init(successThreshold: 0, comparison: .pairwise)]) { _, requests in
            requests.map { $0.completion == "w" ? 1 : ($0.completion == "t" ? 0 : -1) }
        }
        let results = await evaluator.judge(completions: ["w", "t", "x"], tokenCounts: [1, 1, 1])
        #expect(results.map(\.verdict) == [.win, .tie, .loss])
        #expect(results.map(\.success) == [true, true, false])
    }

    @Test func failuresStayFailures() async throws {
        let prompts = Self.prompts(4)
        // "even" fails its first completion; "odd" breaks the contract (one score too few): all its items fail.
        let evaluator = try Self.evaluator(prompts, batchSize: 4) { task, requests in
            task == "even" ? requests.enumerated().map { $0.offset == 0 ? nil : 1 } : Array(repeating: 1, count: requests.count - 1)
        }
        let results = await evaluator.judge(completions: ["a", "b", "c", "d"], tokenCounts: [1, 1, 1, 1])
        #expect(results[0].reward == nil && results[0].success == nil && results[0].verdict == nil)
        #expect(results[2].reward == 1 && results[2].verdict == .tie)
        #expect(results[1].reward == nil && results[3].reward == nil && results[1].verdict == nil)
        let summary = EvaluationSummary(results)
        #expect(summary.failures == 3 && summary.successRate == 1)
    }

    @Test func refusesBadSettings() {
        #expect(throws: AlignmentError.self) { try Self.evaluator([], batchSize: 1) { _, r in r.map { _ in 0 } } }
        #expect(throws: AlignmentError.self) { try Self.evaluator(Self.prompts(2), batchSize: 0) { _, r in r.map { _ in 0 } } }
        #expect(throws: AlignmentError.self) {
            try Self.evaluator(Self.prompts(2), batchSize: 1, tasks: ["even": .init(successThreshold: 1)]) { _, r in r.map { _ in 0 } }
        }
    }
}

/// Collects scorer calls across the evaluator's awaits.
actor Recorder {
    var calls: [[String]] = []
    func add(_ task: String, _ count: Int) { calls.append([task, "\(count)"]) }
}
