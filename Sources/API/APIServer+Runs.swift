import Alignment
import Foundation
import HTTP
import Rewards

extension APIServer {
    /// Training runs over a dataset: `POST /v1/runs` (body: `RunRequest`; 201 with the run's id), `GET /v1/runs`,
    /// `GET /v1/runs/{id}`, `GET /v1/runs/{id}/events` (Server-Sent Events: the history, then live events until
    /// the `end` event; a finished run's log is replayed from disk), `POST /v1/runs/{id}/cancel`. A run survives
    /// client disconnects; its heavy work takes turns on the engine with other requests.
    func registerRunRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/runs") { [self] request in
            let state = try self.state
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let config = try RunRequest.config(body)
            let examples = try RunRequest.dataset(body, "dataset", dataDirectory: state.dataDirectory, required: true)!
            let evalExamples = try RunRequest.dataset(body, "eval_dataset", dataDirectory: state.dataDirectory, required: false)
            let evalMaxTokens = try body.optionalInt("eval_max_tokens", in: 1...configuration.limits.maxNewTokens) ?? config.rollout.maxTokens
            let threshold = try body.optionalDouble("eval_success_threshold") ?? 1
            let reward = try resolveReward(body)
            try body.finish()
            let codec = try GroupRequest.codec(info, field: "dataset")
            let rollout: Rollout
            do {
                rollout = try Rollout(algorithm: config.algorithm, settings: config.rollout, codec: codec)
                for (i, example) in examples.enumerated() { _ = try rollout.checkExample(example, index: i) }
            } catch let error as AlignmentError { throw HTTPError(.badRequest, code: "invalid_dataset", message: "field 'dataset': \(error)") }
            try await state.runs.requireIdle("a new run")
            let trainerConfig: TrainerConfig
            do { trainerConfig = try config.trainerConfig() } catch { throw StoreError.invalid("config.trainer", "\(error)") }

            // The server's trainer: made from the run's settings when there is none, kept when the settings agree,
            // and otherwise (same adapter shape) replaced by one with the run's optimizer settings that starts from
            // the current weights or adapters, with a fresh optimizer. Another mode or adapter shape is refused.
            let (trainer, hash, replaced) = try await engine.run { context -> (PolicyTrainer, String, Bool) in
                let hash = try context.baseModelSHA256()
                guard let existing = context.trainer else {
                    let made = try PolicyTrainer(model: context.model, config: trainerConfig)
                    context.trainer = made
                    return (made, hash, false)
                }
                if EngineContext.sameOptimization(existing.config, trainerConfig) { return (existing, hash, false) }
                guard existing.config.mode == trainerConfig.mode else {
                    throw StoreError.conflict("trainer_configured", "field 'config.trainer': the server's trainer is "
                        + "\(EngineContext.describe(existing.config)); a run continues that model, so its mode and LoRA shape "
                        + "must be the same (or start from a fresh data directory)")
                }
                let made = try PolicyTrainer(model: context.model, config: trainerConfig, adapters: existing.adapters)
                context.trainer = made
                return (made, hash, true)
            }
            let executor = EngineRunExecutor(engine: engine)
            let score = Self.runReward(reward, metrics: metrics)
            var evaluation: RunEvaluationFunction?
            if let evalExamples {
                let heldOut = try HeldOutEvaluation(examples: evalExamples, codec: codec, maxTokens: evalMaxTokens,
                                                    successThreshold: threshold, seed: config.seed)
                evaluation = { _ in try await heldOut.evaluate(trainer: trainer, executor: executor, reward: score).metrics }
            }
            let (journal, status) = try state.runs.store.create(config: config)
            let run = try TrainingRun(id: status.id, config: config, trainer: trainer, codec: codec, examples: examples,
                                      reward: score, evaluation: evaluation, executor: executor, recorder: journal,
                                      checkpoints: RunCheckpoints(directory: journal.checkpointsDirectory, baseModelSHA256: hash))
            do { try await state.runs.start(run) } catch {
                await run.cancel()  // another run got in first: this one ends cancelled on disk, never half-started
                throw error
            }
            logger.notice("run started", metadata: ["run": "\(run.id)", "steps": "\(config.steps)",
                                                    "algorithm": "\(config.algorithm.name.rawValue)", "examples": "\(examples.count)"])
            var response = try Self.runJSON(status, config)
            response["examples"] = examples.count
            response["eval_examples"] = evalExamples?.count ?? 0
            response["trainer_replaced"] = replaced
            var reply = try JSONResponse.make(response, status: .created)
            reply.headers.add(name: "Location", value: "/v1/runs/\(run.id)")
            return reply
        }
        routes.add(.GET, "/v1/runs") { [self] _ in
            let state = try self.state
            return try JSONResponse.make(["runs": try await state.runs.list().map { try Self.runJSON($0.status, $0.config) }])
        }
        routes.add(.GET, "/v1/runs/{id}") { [self] request in
            let state = try self.state
            let found = try await state.runs.describe(request.pathParameters["id"] ?? "")
            return try JSONResponse.make(try Self.runJSON(found.status, found.config))
        }
        routes.add(.POST, "/v1/runs/{id}/cancel") { [self] request in
            let state = try self.state
            let id = request.pathParameters["id"] ?? ""
            guard let run = state.runs.liveRun(id), !(await run.status.state.isTerminal) else {
                let found = try await state.runs.describe(id)
                throw StoreError.conflict("run_finished", "run '\(id)' is \(found.status.state.rawValue); only a queued or running run can be cancelled")
            }
            await run.cancel()
            logger.notice("run cancel requested", metadata: ["run": "\(id)"])
            return try JSONResponse.make(try Self.runJSON(await run.status, run.config), status: .accepted)
        }
        routes.add(.GET, "/v1/runs/{id}/events") { [self] request in
            let state = try self.state
            let id = request.pathParameters["id"] ?? ""
            // A reconnecting client names the last event it got (SSE's `Last-Event-ID`, the `id:` we sent, which is
            // the event's sequence number) and gets only what came after it.
            let after = try Self.lastEventID(request) ?? -1
            if let run = state.runs.liveRun(id) {
                let stream = await run.events()
                return HTTPResponse.eventStream { writer in
                    for await event in stream where event.sequence > after { try await Self.send(event, to: writer) }
                }
            }
            _ = try await state.runs.describe(id)  // 404 for an unknown run
            let events = try state.runs.store.events(id: id).filter { $0.sequence > after }
            return HTTPResponse.eventStream { writer in
                for event in events { try await Self.send(event, to: writer) }
            }
        }
    }

    /// The `Last-Event-ID` header: the sequence number of the last event a reconnecting client received; nil when
    /// absent. Anything but 1 to 18 digits is a 400 naming the header (the ids this server sends are such numbers).
    static func lastEventID(_ request: HTTPRequest) throws -> Int? {
        guard let text = request.headers["Last-Event-ID"] else { return nil }
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }), let id = Int(text) else {
            throw HTTPError(.badRequest, code: "invalid_header",
                            message: "header 'Last-Event-ID' must be the id of an event this stream sent (a number), got '\(text.prefix(40))'")
        }
        return id
    }

    /// One run event as an SSE event: `event:` its kind, `id:` its sequence number, `data:` its JSON.
    static func send(_ event: RunEvent, to writer: HTTPBodyWriter) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await writer.sendEvent(String(decoding: try encoder.encode(event), as: UTF8.self), event: event.kind.rawValue,
                                   id: String(event.sequence))
    }

    /// A run as JSON: its id, status and config.
    static func runJSON(_ status: RunStatus, _ config: RunConfig) throws -> [String: Any] {
        ["id": status.id, "status": try encodedJSON(status), "config": try encodedJSON(config)]
    }

    /// The run's reward function (its steps and held-out evaluations): the Rewards model scores the queries, failures
    /// become nil (masked); reward means and judge counters go to `/metrics`.
    static func runReward(_ reward: any RewardModel, metrics: APIMetrics) -> RunRewardFunction {
        { queries in
            let outcomes = await reward.score(queries.map {
                RewardItem(prompt: $0.prompt, completion: $0.completion, reference: $0.reference, metadata: $0.metadata)
            })
            metrics.recordScoring(outcomes, reward: reward)
            return outcomes.map(\.value)
        }
    }
}

/// Runs a training run's heavy work on the compute engine (in turn with every other model job). Once the engine has
/// stopped (the server is shutting down), it refuses the run's jobs, queued or new; that refusal reaches the run as a
/// `RunInterruption`, so the run records itself `interrupted` (never `failed`) and ends, keeping its metrics and
/// checkpoints. (The server normally interrupts its runs explicitly first: `RunRegistry.interruptAll`.)
struct EngineRunExecutor: ModelExecutor {
    let engine: ComputeEngine

    func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        do {
            return try await engine.run { (_: EngineContext) in try work() }
        } catch let error as HTTPError where engine.status == .stopped {
            throw RunInterruption(reason: "the server is shutting down (\(error.message))")
        }
    }
}
