import Foundation
import GGUF
import Tokenization
import Testing
@testable import Alignment
@testable import Llama

/// A counter clock and a cell shared with closures (tests only).
final class TestBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func update<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}

/// Counts the work that goes through it, to show that a run's heavy work uses the injected executor.
struct CountingExecutor: ModelExecutor {
    let calls = TestBox(0)
    func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        calls.update { $0 += 1 }
        return try work()
    }
}

/// Training runs on a tiny random model: events in order, late subscribers, cancellation, failures with reasons.
@Suite struct TrainingRunTests {
    static let examples = [TrainingExample(prompt: "12+3", reference: "15"), TrainingExample(prompt: "4+4", reference: "8"),
                           TrainingExample(prompt: "9", reference: "9")]

    static func config(steps: Int = 3, algorithm: AlgorithmConfig = AlgorithmConfig(.grao), evalEvery: Int = 2) -> RunConfig {
        RunConfig(algorithm: algorithm, trainer: TrainerSettings(mode: .lora, loraRank: 2, learningRate: 1e-2),
                  steps: steps, promptsPerStep: 2, rollout: RolloutSettings(groupSize: 3, maxTokens: 4,
                                                                            sampling: SamplingParameters(temperature: 1)),
                  seed: 5, evalEvery: evalEvery)
    }

    /// Length parity as the reward, so groups have spread; the reference scores 1.
    static let reward: RunRewardFunction = { queries in
        queries.map { $0.completion == $0.reference ? 1 : Double($0.completion.count % 2) }
    }

    static func clock() -> @Sendable () -> Date {
        let ticks = TestBox(0.0)
        return { Date(timeIntervalSince1970: ticks.update { $0 += 1; return $0 }) }
    }

    static func makeRun(_ config: RunConfig, reward: @escaping RunRewardFunction = reward,
                        evaluation: RunEvaluationFunction? = { step in ["step_seen": Double(step)] },
                        executor: any ModelExecutor = InlineExecutor()) throws -> (TrainingRun, PolicyTrainer) {
        let trainer = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try config.trainerConfig())
        let run = try TrainingRun(id: "r1", config: config, trainer: trainer, codec: ToyCodec(), examples: examples,
                                  reward: reward, evaluation: evaluation, executor: executor, clock: clock())
        return (run, trainer)
    }

    static func collect(_ stream: AsyncStream<RunEvent>) async -> [RunEvent] {
        var events: [RunEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    static func shape(_ events: [RunEvent]) -> [String] {
        events.map { e in
            switch e.kind {
            case .state, .end: return "\(e.kind.rawValue):\(e.state!.rawValue)"
            case .step: return "step:\(e.record!.step)"
            case .evaluation: return "evaluation:\(Int(e.metrics!["step_seen"]!))"
            case .checkpoint: return "checkpoint:\(e.step)"
            }
        }
    }

    @Test func aRunEmitsItsEventsInOrder() async throws {
        let executor = CountingExecutor()
        let (run, trainer) = try Self.makeRun(Self.config(), executor: executor)
        let early = await run.events()
        let listener = Task { await Self.collect(early) }
        let status = await run.run()
        #expect(status.state == .completed && status.step == 3 && status.reason == nil)
        #expect(status.startedAt! < status.endedAt! && status.lastEvaluation == ["step_seen": 3])
        let events = await listener.value
        #expect(Self.shape(events) == ["state:running", "evaluation:0", "step:1", "step:2", "evaluation:2", "step:3",
                                       "evaluation:3", "state:completed", "end:completed"])
        #expect(events.map(\.sequence) == Array(0..<events.count))
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.time < $1.time }, "the injected clock stamps events")
        let steps = events.compactMap(\.record)
        #expect(steps.allSatisfy { $0.update.applied && $0.rollout.groups == 2 && $0.rollout.samples == 6 })
        #expect(trainer.optimizer.step == 3)
        #expect(executor.calls.get() >= 6, "sampling and updates go through the executor")
        // A late subscriber gets the whole history, then the stream ends.
        #expect(await Self.collect(await run.events()) == events)
        // A finished run does not start again.
        #expect(await run.run() == status)
    }

    @Test func sameSeedSameRun() async throws {
        var losses: [[Double]] = []
        for _ in 0..<2 {
            let (run, _) = try Self.makeRun(Self.config(steps: 2, evalEvery: 0), evaluation: nil)
            await run.run()
            losses.append(await run.history.compactMap { $0.record?.update.loss })
        }
        #expect(losses[0] == losses[1] && losses[0].count == 2)
    }

    @Test func cancellationStopsBeforeTheNextUpdate() async throws {
        let box = TestBox<TrainingRun?>(nil)
        let calls = TestBox(0)
        let reward: RunRewardFunction = { queries in
            if calls.update({ $0 += 1; return $0 }) == 2 { await box.get()?.cancel() }
            return try await Self.reward(queries)
        }
        let (run, trainer) = try Self.makeRun(Self.config(steps: 5), reward: reward, evaluation: nil)
        box.update { $0 = run }
        let status = await run.run()
        #expect(status.state == .cancelled && status.step == 1)
        #expect(trainer.optimizer.step == 1, "the step whose rewards arrived after the cancel was not applied")
        #expect(Self.shape(await run.history) == ["state:running", "step:1", "state:cancelled", "end:cancelled"])
    }

    @Test func aQueuedRunCancelsAtOnce() async throws {
        let (run, trainer) = try Self.makeRun(Self.config())
        await run.cancel()
        #expect(await run.status.state == .cancelled)
        #expect(await run.run().state == .cancelled)
        #expect(trainer.optimizer.step == 0)
        #expect(Self.shape(await Self.collect(await run.events())) == ["state:cancelled", "end:cancelled"])
    }

    struct JudgeDown: Error, CustomStringConvertible { var description: String { "judge down (503)" } }

    @Test func aFailingRewardFailsTheRunWithItsReason() async throws {
        let (run, trainer) = try Self.makeRun(Self.config(), reward: { _ in throw JudgeDown() })
        let status = await run.run()
        #expect(status.state == .failed)
        #expect(status.reason == "training: step 1: reward: judge down (503)")
        #expect(trainer.optimizer.step == 0)
        let history = await run.history
        #expect(Self.shape(history) == ["state:running", "evaluation:0", "state:failed", "end:failed"])
        #expect(history.last?.reason == status.reason)
    }

    @Test func aFailingEvaluationFailsTheRun() async throws {
        let (run, _) = try Self.makeRun(Self.config(), evaluation: { step in
            if step > 0 { throw JudgeDown() }
            return ["step_seen": 0]
        })
        let status = await run.run()
        #expect(status.state == .failed && status.step == 2)
        #expect(status.reason == "training: evaluation at step 2: judge down (503)")
    }

    @Test func badConfigsAndDatasetsAreRefused() throws {
        var config = Self.config()
        config.steps = 0
        #expect(throws: AlignmentError.invalidTraining("steps must be in 1...100000, got 0")) { try Self.makeRun(config) }
        let trainer = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try Self.config().trainerConfig())
        #expect(throws: AlignmentError.invalidTraining("example 1: grao needs a \"reference\" answer")) {
            try TrainingRun(id: "x", config: Self.config(), trainer: trainer, codec: ToyCodec(),
                            examples: [Self.examples[0], TrainingExample(prompt: "no answer")], reward: Self.reward)
        }
    }

    @Test func heldOutEvaluationScoresGreedyAnswers() async throws {
        let trainer = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try Self.config().trainerConfig())
        let evaluation = try HeldOutEvaluation(examples: Self.examples, codec: ToyCodec(), maxTokens: 4, batchSize: 2)
        let reward: RunRewardFunction = { queries in queries.map { $0.prompt == "9" ? nil : 1 } }
        let (metrics, results) = try await evaluation.evaluate(trainer: trainer, executor: InlineExecutor(), reward: reward)
        #expect(results.count == 3 && results.map(\.prompt) == ["12+3", "4+4", "9"])
        #expect(metrics["eval_count"] == 3 && metrics["eval_masked"] == 1)
        #expect(metrics["eval_reward_mean"] == 1 && metrics["eval_success_rate"] == 1, "the failed reward is not a 0")
        let again = try await evaluation.evaluate(trainer: trainer, executor: InlineExecutor(), reward: reward)
        #expect(again.results == results, "fixed decoding")
    }
}

/// A short run on the real SmolLM2-135M with its tokenizer and chat template (the path the API and the
/// experiment take): LoRA, 2 steps, held-out evaluation at the start and the end.
@Suite struct RealModelRunTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: RealModelTrainingTests.path), "needs the real model"))
    func twoStepsWithEvaluation() async throws {
        let file = try GGUFFile(path: RealModelTrainingTests.path)
        let codec = ChatRolloutCodec(tokenizer: try BPETokenizer(gguf: file), template: try ChatTemplate(gguf: file))
        let prompt = try codec.promptTokens([ChatMessage(role: "user", content: "What is 2+3?")])
        #expect(codec.text(of: prompt).hasSuffix("<|im_start|>assistant\n"))
        #expect(codec.answerTokens("5").last.map(codec.endOfSequence.contains) == true)
        let config = RunConfig(trainer: TrainerSettings(mode: .lora, loraRank: 2, loraTargets: [.q, .v], learningRate: 1e-3),
                               steps: 2, rollout: RolloutSettings(groupSize: 2, maxTokens: 8), seed: 1)
        let trainer = try PolicyTrainer(model: try LlamaModel(gguf: file), config: try config.trainerConfig())
        let examples = [TrainingExample(prompt: "What is 2+3? Answer with the number only.", reference: "5"),
                        TrainingExample(prompt: "Capital of France? One word.", reference: "Paris")]
        let exact: RunRewardFunction = { queries in
            queries.map { q in q.completion.trimmingCharacters(in: .whitespacesAndNewlines) == q.reference ? 1 : 0 }
        }
        let heldOut = try HeldOutEvaluation(examples: examples, codec: codec, maxTokens: 8)
        let run = try TrainingRun(id: "real", config: config, trainer: trainer, codec: codec, examples: examples,
                                  reward: exact, evaluation: { _ in
                                      try await heldOut.evaluate(trainer: trainer, executor: InlineExecutor(), reward: exact).metrics
                                  })
        let status = await run.run()
        #expect(status.state == .completed, "\(status.reason ?? "")")
        let history = await run.history
        #expect(history.compactMap(\.record).map(\.update.applied) == [true, true])
        let evaluations = history.compactMap(\.metrics)
        #expect(evaluations.count == 2 && evaluations.allSatisfy { $0["eval_count"] == 2 && $0["eval_success_rate"] != nil })
        #expect(history.compactMap(\.record).allSatisfy { $0.rollout.meanCompletionLength! > 0 })
    }
}
