import Dispatch
import Foundation
import HTTP
import Llama
import Logging
import Rewards
import Synchronization
import Testing
import Tokenization
@testable import API

/// The model judge's likelihoods as engine jobs (tiny random model: the numbers are the scorer's, whatever the
/// model): the same values as the scorer run directly on the same weights, long batches split into several jobs,
/// no deadlock when a job itself waits for a reward, and a clear error without a chat template.
@Suite struct EngineLikelihoodScorerTests {
    static let queries: [LikelihoodQuery] = ["Which is larger, 3 or 5?", "Say hello.", "2+2?"].flatMap { p in
        ["1 > 2", "1 = 2", "1 < 2"].map { LikelihoodQuery(prompt: p, continuation: $0) }
    }

    /// The judge's rubric alone is ~280 byte tokens: the tiny model gets room for it.
    static let contextLength = 1024

    /// The scorer over a second copy of the engine's tiny model (same seed, same weights).
    static func direct() throws -> ModelLikelihoodScorer {
        let context = try TinyModel.context(contextLength: contextLength)
        return ModelLikelihoodScorer(model: context.model, tokenizer: context.info.tokenizer, template: context.info.chatTemplate!)
    }

    @Test func engineJobsGiveTheDirectScorersValues() async throws {
        let engine = TinyModel.engine(contextLength: Self.contextLength)
        defer { engine.stop() }
        let expected = try Self.direct().logLikelihoodsNow(Self.queries)
        #expect(expected.allSatisfy { $0.isFinite && $0 < 0 })
        // One job for all three prompts: the same batch as the direct call, so the same bits.
        let whole = try await EngineLikelihoodScorer(engine: engine, promptsPerJob: 8).logLikelihoods(Self.queries)
        #expect(whole == expected)
        // One prompt per job: three jobs, each prompt batched alone, equal to f32 rounding.
        // (A job counts as done just after its caller resumes: wait for the engine to settle before reading.)
        #expect(await eventually { !engine.counters.running })
        let before = engine.counters.done
        let split = try await EngineLikelihoodScorer(engine: engine, promptsPerJob: 1).logLikelihoods(Self.queries)
        #expect(await eventually { engine.counters.done == before + 3 && !engine.counters.running })
        for (a, b) in zip(split, expected) { #expect(abs(a - b) < 1e-4, "\(split) vs \(expected)") }
        #expect(try await EngineLikelihoodScorer(engine: engine).logLikelihoods([]) == [])
    }

    @Test func slicesKeepEachPromptsQueriesTogether() {
        let q = { (p: String) in LikelihoodQuery(prompt: p, continuation: "x") }
        let queries = [q("a"), q("a"), q("b"), q("c"), q("c"), q("a"), q("d")]
        #expect(EngineLikelihoodScorer.slices(queries, promptsPerSlice: 2) == [0..<3, 3..<6, 6..<7])
        #expect(EngineLikelihoodScorer.slices(queries, promptsPerSlice: 1) == [0..<2, 2..<3, 3..<5, 5..<6, 6..<7])
        #expect(EngineLikelihoodScorer.slices([], promptsPerSlice: 3) == [])
    }

    /// A job that waits for a model-judged reward (here: bridging to the async scorer and blocking the engine
    /// thread until it answers) must not deadlock: the scorer sees it is inside the job and runs there.
    @Test func aJobWaitingForTheJudgeDoesNotDeadlock() async throws {
        let engine = TinyModel.engine(contextLength: Self.contextLength)
        defer { engine.stop() }
        let scorer = EngineLikelihoodScorer(engine: engine)
        let judge = PairwiseModelJudge(identicalIsTie: false, scorer: scorer)
        let items = [RewardItem(prompt: "2+2?", completion: "4", reference: "5")]
        let outside = await judge.score(items)
        #expect(engine.isInsideJob == false)
        final class Box: Sendable { let outcome = Mutex<[RewardOutcome]?>(nil) }
        let (inside, finished, nested) = try await engine.run { _ -> ([RewardOutcome]?, Bool, Bool) in
            let box = Box(), done = DispatchSemaphore(value: 0)
            let nested = engine.isInsideJob
            Task {
                let outcome = await judge.score(items)
                box.outcome.withLock { $0 = outcome }
                done.signal()
            }
            // Bounded so that a regression fails the test instead of hanging the suite.
            let finished = done.wait(timeout: .now() + 60) == .success
            return (box.outcome.withLock { $0 }, finished, nested)
        }
        #expect(nested)
        #expect(finished, "the judge inside an engine job waited for the engine: deadlock")
        #expect(inside == outside)
        #expect(outside.first?.value != nil, "\(outside)")
    }

    @Test func aModelWithoutChatTemplateIsAClearError() async throws {
        let engine = ComputeEngine {
            let context = try TinyModel.context()
            let info = ModelInfo(config: context.info.config, tokenizer: context.info.tokenizer, chatTemplate: nil,
                                 name: "tiny", path: "(in memory)")
            return EngineContext(info: info, model: context.model)
        }
        defer { engine.stop() }
        do {
            _ = try await EngineLikelihoodScorer(engine: engine).logLikelihoods(Self.queries)
            Issue.record("expected an error")
        } catch let error as ModelLikelihoodScorer.ScorerError {
            #expect(error.description.contains("chat template"))
        }
    }

    /// `POST /v1/score` over a live socket with an inline `model_judge` and with one registered by name: verdicts
    /// in {-1, 0, +1} with the judge's components, equal to the judge run directly on the same weights.
    @Test func scoreRouteRunsModelJudgeSpecs() async throws {
        let data = try ScratchDirectory()
        defer { data.cleanup() }
        let engine = TinyModel.engine(contextLength: Self.contextLength)
        let state = try ServerState(dataDirectory: data.path,
                                    options: .init(likelihoodScorer: EngineLikelihoodScorer(engine: engine)),
                                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let api = APIServer(configuration: .init(dataDirectory: data.path), engine: engine,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), state: state)
        let items = [RewardItem(prompt: "2+2?", completion: "4", reference: "5"),
                     RewardItem(prompt: "Say hi.", completion: "hi", reference: "hello"),
                     RewardItem(prompt: "Same", completion: "x", reference: "x")]
        let expected = await PairwiseModelJudge(scorer: try Self.direct()).score(items)
        try await withLiveAPI(api) { port in
            #expect(await eventually(seconds: 30) { engine.status == .ready })
            let itemsJSON = #"[{"prompt": "2+2?", "completion": "4", "reference": "5"}, {"prompt": "Say hi.", "completion": "hi", "reference": "hello"}, {"prompt": "Same", "completion": "x", "reference": "x"}]"#
            let (inline, registered, scoredByName) = try await onThread { () throws in
                (try Wire.request(port, "POST", "/v1/score", body: #"{"reward": {"type": "model_judge"}, "items": \#(itemsJSON)}"#),
                 try Wire.request(port, "POST", "/v1/rewards", body: #"{"name": "judge", "spec": {"type": "model_judge"}}"#),
                 try Wire.request(port, "POST", "/v1/score", body: #"{"reward": "judge", "items": \#(itemsJSON)}"#))
            }
            #expect(inline.status == 200, "\(inline.text)")
            #expect(registered.status == 201, "\(registered.text)")
            #expect(scoredByName.status == 200, "\(scoredByName.text)")
            for response in [inline, scoredByName] {
                let results = try #require(response.json["results"] as? [[String: Any]])
                #expect(results.count == 3)
                for (result, want) in zip(results, expected) {
                    #expect(result["score"] as? Double == want.value, "\(result) vs \(want)")
                    guard case .score(let s) = want else { continue }
                    let components = result["components"] as? [String: Double] ?? [:]
                    #expect(Set(components.keys) == Set(s.components.keys))
                    for (k, v) in s.components { #expect(abs((components[k] ?? .nan) - v) < 1e-4, "\(k)") }
                }
                #expect(response.json["failed"] as? Int == 0)
            }
        }
    }
}
