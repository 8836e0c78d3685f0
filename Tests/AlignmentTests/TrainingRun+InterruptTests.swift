import Foundation
import Testing
@testable import Alignment

/// Runs its work after an async hook that sees the call number: lets a test act (interrupt the run) while the run
/// is suspended in the executor, as the API's engine leaves it while a job waits or runs.
struct HookExecutor: ModelExecutor {
    let calls = TestBox(0)
    let hook: @Sendable (Int) async throws -> Void
    func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        try await hook(calls.update { $0 += 1; return $0 })
        return try work()
    }
}

/// Interruption (the server stopping): recorded at once, the work in flight abandoned, the log ending
/// `interrupted` and left so by a reopened store; an executor's refusal ends a run the same way.
extension TrainingRunTests {
    @Test func anInterruptDuringAnUpdateRecordsTheRunAndDropsThatStep() async throws {
        let data = try RunStoreTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let store = try RunStore(dataDirectory: data)
        let config = Self.config(steps: 5, evalEvery: 0)
        let (journal, _) = try store.create(config: config)
        let trainer = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try config.trainerConfig())
        let box = TestBox<TrainingRun?>(nil)
        let afterFirstStep = TestBox(0)
        // Step 2's calls: sampling, then the update; the interrupt comes while the update is on the executor.
        let executor = HookExecutor { _ in
            guard let run = box.get(), await run.status.step == 1 else { return }
            if afterFirstStep.update({ $0 += 1; return $0 }) == 2 { await run.interrupt(reason: "the server stopped") }
        }
        let run = try TrainingRun(id: journal.id, config: config, trainer: trainer, codec: ToyCodec(), examples: Self.examples,
                                  reward: Self.reward, executor: executor, clock: Self.clock(), recorder: journal)
        box.update { $0 = run }
        let status = await run.run()
        #expect(status.state == .interrupted && status.reason == "the server stopped" && status.step == 1)
        #expect(trainer.optimizer.step == 2, "the update in flight finished on the executor")
        let history = await run.history
        #expect(Self.shape(history) == ["state:running", "step:1", "state:interrupted", "end:interrupted"],
                "nothing of the abandoned step is recorded")
        #expect(executor.calls.get() == 4, "no later step started")
        let reopened = try RunStore(dataDirectory: data)
        let stored = try #require(try reopened.run(id: journal.id))
        #expect(stored.status == status, "the store keeps the run's own record of its interruption")
        #expect(try reopened.events(id: journal.id) == history)
        await run.interrupt(reason: "again")
        #expect(await run.history == history, "interrupting an ended run changes nothing")
    }

    @Test func anExecutorThatRefusesWorkEndsTheRunInterrupted() async throws {
        let refusing = TestBox(false)
        let calls = TestBox(0)
        let reward: RunRewardFunction = { queries in
            if calls.update({ $0 += 1; return $0 }) == 2 { refusing.update { $0 = true } }
            return try await Self.reward(queries)
        }
        let executor = HookExecutor { _ in
            if refusing.get() { throw RunInterruption(reason: "the server is shutting down") }
        }
        let (run, trainer) = try Self.makeRun(Self.config(steps: 5), reward: reward, evaluation: { _ in
            // The held-out evaluation's generation goes through the executor too.
            try await executor.run { () }
            return ["step_seen": 0]
        }, executor: executor)
        let status = await run.run()
        #expect(status.state == .interrupted && status.reason == "the server is shutting down", "\(status)")
        #expect(status.step == 1 && trainer.optimizer.step == 1)
        #expect(Self.shape(await run.history) == ["state:running", "evaluation:0", "step:1", "state:interrupted",
                                                  "end:interrupted"])

        // Refused during an evaluation: interrupted as well, not a failed evaluation.
        let (evaluated, _) = try Self.makeRun(Self.config(steps: 2), evaluation: { _ in
            throw RunInterruption(reason: "stopping")
        })
        let ended = await evaluated.run()
        #expect(ended.state == .interrupted && ended.reason == "stopping")
    }

    @Test func aQueuedRunIsInterruptedAtOnce() async throws {
        let (run, trainer) = try Self.makeRun(Self.config())
        await run.interrupt(reason: "the server stopped")
        #expect(await run.run().state == .interrupted)
        #expect(trainer.optimizer.step == 0)
        #expect(Self.shape(await Self.collect(await run.events())) == ["state:interrupted", "end:interrupted"])
    }
}
