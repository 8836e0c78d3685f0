import Alignment
import Foundation
import Rewards
import Testing
import TestSupport
@testable import API

/// The `grao_judge_*` counters follow what remote judges really did, with the example judge as a real process:
/// overlapping scorings through one registered judge are counted exactly once, cache hits and an unreachable
/// judge's failures are counted under each judge's name, and `/metrics` text shows them.
@Suite struct JudgeStatisticsFeedTests {
    static func queries(_ k: Int) -> [RewardQuery] {
        [RewardQuery(prompt: "Capital of France?", completion: "Paris", reference: "Paris", metadata: [:]),
         RewardQuery(prompt: "q\(k)", completion: "answer \(k)", reference: "answer \(k % 2)", metadata: [:])]
    }

    @Test func overlappingScoringsAreCountedOnceWithCacheHitsAndFailures() async throws {
        let judge = try await JudgeServerProcess.start()
        let directory = try ScratchDirectory()
        defer { directory.cleanup() }
        let registry = try RewardRegistry(directory: directory.path, context: testRewardContext())
        try registry.register(name: "j", spec: .object(["type": .string("score_model"), "protocol": .string("grao"),
                                                        "url": .string(judge.baseURL + "/grao")]))
        let reward = try registry.reward(named: "j", path: "reward")
        let engine = TinyModel.engine()
        defer { engine.stop() }
        let metrics = APIMetrics(engine: engine)
        // The route's own reward function (runs, evaluations); then eight at once through the same judge.
        let score = APIServer.runReward(reward, metrics: metrics)
        #expect(try await score(Self.queries(0)) == [1, 1])
        try await withThrowingTaskGroup(of: [Double?].self) { group in
            for k in 1...8 { group.addTask { try await score(Self.queries(k)) } }
            for try await values in group { #expect(values.count == 2) }
        }
        let seen = try #require(reward.remoteJudges.first).statistics
        #expect(seen.calls >= 2 && seen.cacheHits >= 8, "\(seen)")
        #expect(metrics.judgeCalls.value(["j"]) == Double(seen.calls))
        #expect(metrics.judgeCacheHits.value(["j"]) == Double(seen.cacheHits))
        #expect(metrics.judgeFailures.value(["j"]) == 0)
        #expect(metrics.rewardMean.value(["j"]) != nil)

        // An inline judge nobody answers for (port 1 refuses): one call, its items failed, under its own name.
        let dead = try registry.resolve(.object(["type": .string("score_model"), "protocol": .string("grao"), "name": .string("dead"),
                                                 "url": .string("http://127.0.0.1:1/grao"), "max_retries": .number(0)]),
                                        path: "reward")
        let outcomes = await dead.score(Self.queries(0).map { RewardItem(prompt: $0.prompt, completion: $0.completion, reference: $0.reference) })
        metrics.recordScoring(outcomes, reward: dead)
        #expect(outcomes.allSatisfy { $0.failure?.kind == .transport })
        #expect(metrics.judgeFailures.value(["dead"]) == 2 && metrics.judgeCalls.value(["dead"]) == 1)
        metrics.recordScoring(outcomes, reward: dead)
        #expect(metrics.judgeFailures.value(["dead"]) == 2, "recording again adds only what the judge did since")

        let text = metrics.registry.render()
        #expect(text.contains("grao_judge_calls_total{judge=\"j\"} \(seen.calls)\n"))
        #expect(text.contains("grao_judge_failures_total{judge=\"dead\"} 2\n"))
        withExtendedLifetime(judge) {}
    }

    @Test func compositeRewardsExposeTheirJudges() throws {
        let directory = try ScratchDirectory()
        defer { directory.cleanup() }
        let registry = try RewardRegistry(directory: directory.path, context: testRewardContext())
        let judge: JSONValue = .object(["type": .string("score_model"), "protocol": .string("grao"), "url": .string("http://127.0.0.1:9/x")])
        let multi = try registry.resolve(.object(["type": .string("multi"), "graders": .object([
            "a": judge, "b": .object(["type": .string("string_check"), "operation": .string("eq")]),
        ]), "weights": .object(["a": .number(0.5), "b": .number(0.5)])]), path: "reward")
        #expect(multi.remoteJudges.count == 1)
        #expect(try registry.resolve(.string("numeric_match"), path: "reward").remoteJudges.isEmpty)
    }
}
