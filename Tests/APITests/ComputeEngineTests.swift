import Dispatch
import HTTP
import Alignment
import Llama
import Synchronization
import Testing
@testable import API

/// The engine runs jobs one at a time on its own thread, refuses work past its queue bound, drops queued work
/// whose caller went away, and decodes generation requests that waited together as one batch.
@Suite struct ComputeEngineTests {
    /// Blocks the engine thread until `release` is signalled; `started` tells the test the engine is busy.
    final class Blocker: Sendable {
        let started = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        func job(_ context: EngineContext) -> Int {
            started.store(true, ordering: .sequentiallyConsistent)
            release.wait()
            return 1
        }
    }

    @Test func jobsRunInOrderOnOneThread() async throws {
        let engine = TinyModel.engine()
        defer { engine.stop() }
        final class Order: Sendable { let values = Mutex<[Int]>([]) }
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    _ = try await engine.run { _ in order.values.withLock { $0.append(i) } }
                }
            }
            try await group.waitForAll()
        }
        let seen = order.values.withLock { $0.sorted() }
        #expect(seen == Array(0..<8))
        #expect(engine.status == .ready)
    }

    /// What a job changed is in the snapshot (`/v1/model`) by the time its caller resumes: a client that reads
    /// the model right after its step or checkpoint load sees it. (The engine used to publish the snapshot after
    /// resuming the caller, which a live test caught as a rare stale `step`.)
    @Test func aJobsEffectIsVisibleWhenItsCallerResumes() async throws {
        let engine = TinyModel.engine()
        defer { engine.stop() }
        for i in 0..<300 {
            try await engine.run { context in context.checkpoint = "c\(i)" }
            #expect(engine.snapshot.checkpoint == "c\(i)")
        }
    }

    @Test func aFullQueueAnswers503WithRetryAfter() async throws {
        let engine = TinyModel.engine(limits: .init(queueCapacity: 2))
        defer { engine.stop() }
        let blocker = Blocker()
        let running = Task { try await engine.run(blocker.job) }
        #expect(await eventually { blocker.started.load(ordering: .sequentiallyConsistent) })
        let waiting = [Task { try await engine.run { _ in 2 } }, Task { try await engine.run { _ in 3 } }]
        #expect(await eventually { engine.counters.queued == 2 })
        do {
            _ = try await engine.run { _ in 4 }
            Issue.record("a third waiting job must be refused")
        } catch let error as HTTPError {
            #expect(error.status == .serviceUnavailable)
            #expect(error.code == "engine_busy")
            #expect(error.headers["Retry-After"] == "1")
        }
        blocker.release.signal()
        #expect(try await running.value == 1)
        #expect(try await waiting[0].value == 2)
        #expect(try await waiting[1].value == 3)
        #expect(engine.counters.rejected == 1)
    }

    @Test func aCancelledCallersQueuedJobNeverRuns() async throws {
        let engine = TinyModel.engine()
        defer { engine.stop() }
        let blocker = Blocker()
        let running = Task { try await engine.run(blocker.job) }
        #expect(await eventually { blocker.started.load(ordering: .sequentiallyConsistent) })
        let ran = Atomic<Bool>(false)
        let abandoned = Task { try await engine.run { _ in ran.store(true, ordering: .sequentiallyConsistent) } }
        #expect(await eventually { engine.counters.queued == 1 })
        abandoned.cancel()
        await #expect(throws: CancellationError.self) { try await abandoned.value }
        #expect(engine.counters.queued == 0)
        blocker.release.signal()
        _ = try await running.value
        _ = try await engine.run { _ in 0 }  // everything before it has finished
        let didRun = ran.load(ordering: .sequentiallyConsistent)
        #expect(!didRun)
        #expect(engine.counters.dropped == 1)
    }

    @Test func generationRequestsThatWaitTogetherShareOneBatch() async throws {
        let engine = TinyModel.engine()
        defer { engine.stop() }
        let blocker = Blocker()
        let running = Task { try await engine.run(blocker.job) }
        #expect(await eventually { blocker.started.load(ordering: .sequentiallyConsistent) })
        let a = GenerationRequest(prompt: [72, 105], sampleCount: 3, maxTokens: 6, sampling: .init(temperature: 1), seed: 11)
        let b = GenerationRequest(prompt: [79, 107, 33], sampleCount: 2, maxTokens: 5, sampling: .init(temperature: 0.5), seed: 12)
        let first = Task { try await engine.generate([a]) }
        let second = Task { try await engine.generate([b]) }
        #expect(await eventually { engine.counters.queued == 2 })
        let doneBefore = engine.counters.done
        blocker.release.signal()
        let (resultA, resultB) = (try await first.value, try await second.value)
        _ = try await running.value
        // `done` is counted after a job's caller is resumed, in the same locked step that clears `running`.
        #expect(await eventually { !engine.counters.running && engine.counters.queued == 0 })
        // The blocker plus ONE generation batch for both callers.
        #expect(engine.counters.done == doneBefore + 2)
        // The same numbers as generating both requests in one direct call.
        let direct = try await engine.run { context in
            try context.policy.generate([a, b], endOfSequence: context.info.endOfSequence, decoder: context.info.tokenizer)
        }
        #expect(resultA == [direct[0]])
        #expect(resultB == [direct[1]])
        #expect(resultA[0].count == 3 && resultB[0].count == 2)
    }

    @Test func oneBadRequestFailsOnlyItsOwnCaller() async throws {
        let engine = TinyModel.engine(contextLength: 32)
        defer { engine.stop() }
        let blocker = Blocker()
        let running = Task { try await engine.run(blocker.job) }
        #expect(await eventually { blocker.started.load(ordering: .sequentiallyConsistent) })
        let good = GenerationRequest(prompt: [72], sampleCount: 1, maxTokens: 4, sampling: .greedy)
        let bad = GenerationRequest(prompt: [72], sampleCount: 1, maxTokens: 100, sampling: .greedy)  // past the context
        let first = Task { try await engine.generate([good]) }
        let second = Task { try await engine.generate([bad]) }
        #expect(await eventually { engine.counters.queued == 2 })
        blocker.release.signal()
        _ = try await running.value
        #expect(try await first.value[0].count == 1)
        await #expect(throws: LlamaError.self) { try await second.value }
    }

    @Test func aModelThatFailsToLoadFailsJobsWith503() async throws {
        struct Broken: Error {}
        let engine = ComputeEngine { throw Broken() }
        #expect(await eventually { if case .failed = engine.status { return true } else { return false } })
        await #expect(throws: HTTPError.self) { try await engine.run { _ in 1 } }
    }

    @Test func aRequestArrivingMidDecodeJoinsTheRunningBatch() async throws {
        // A long decode (4 × 3,000 tokens: seconds even in release) so the short request surely arrives mid-way.
        let engine = TinyModel.engine(contextLength: 4096, endOfSequence: false)
        defer { engine.stop() }
        let long = GenerationRequest(prompt: [72, 105], sampleCount: 4, maxTokens: 3000, sampling: .init(temperature: 1), seed: 1)
        let longDone = Atomic<Bool>(false)
        let first = Task {
            defer { longDone.store(true, ordering: .sequentiallyConsistent) }
            return try await engine.generate([long])
        }
        #expect(await eventually { engine.counters.running })
        let short = GenerationRequest(prompt: [65], sampleCount: 3, maxTokens: 3, sampling: .init(temperature: 1), seed: 2)
        let quick = try await engine.generate([short])
        // The short request joined the decode already running and finished long before it.
        let longFinished = longDone.load(ordering: .sequentiallyConsistent)
        #expect(!longFinished)
        #expect(engine.counters.joined == 1)
        #expect(quick[0].count == 3 && quick[0].allSatisfy { $0.tokens.count == 3 && $0.finishReason == .length })
        let slow = try await first.value
        #expect(slow[0].count == 4 && slow[0].allSatisfy { $0.tokens.count == 3000 })
        // Joining did not change the long request's samples: the same as generating it alone.
        let alone = try await engine.run { context in
            try context.policy.generate([long], endOfSequence: context.info.endOfSequence, decoder: context.info.tokenizer)
        }
        #expect(alone[0].map(\.tokens) == slow[0].map(\.tokens))
    }

    @Test func aCancelledCallerLeavesTheRunningDecode() async throws {
        let engine = TinyModel.engine(contextLength: 2048, endOfSequence: false)
        defer { engine.stop() }
        let long = GenerationRequest(prompt: [72], sampleCount: 1, maxTokens: 2000, sampling: .init(temperature: 1), seed: 1)
        let abandoned = Task { try await engine.generate([long]) }
        #expect(await eventually { engine.counters.running })
        abandoned.cancel()
        await #expect(throws: CancellationError.self) { try await abandoned.value }
        #expect(engine.counters.dropped == 1)
        // The engine is free again: the decode stopped at the next step instead of running 2,000 of them.
        #expect(await eventually { !engine.counters.running })
        #expect(try await engine.run { _ in 5 } == 5)
    }

    @Test func theEngineIsATrainingRunsExecutor() async throws {
        let engine = TinyModel.engine()
        defer { engine.stop() }
        let executor: any ModelExecutor = engine
        let before = engine.counters.done
        #expect(try await executor.run { 21 * 2 } == 42)
        #expect(await eventually { engine.counters.done == before + 1 })  // it ran as an engine job
    }
}
