import Alignment
import Foundation
import HTTP
import Llama
import Rewards

extension APIServer {
    /// `POST /v1/train/step`: one optimizer update with `algorithm` (grao, grpo, dpo, sft and their
    /// hyper-parameters) on exactly one of `group_ids` (stored groups), `groups` (inline scored groups) or
    /// `prompts` (fresh: sample, score with `reward`, update). Optional `trainer` settings create the trainer on
    /// the first step. Returns the step's metrics, the rollout statistics and the new step number. Everything is
    /// validated before the engine is asked; a refused request changes neither the model nor any stored state.
    func registerTrainStepRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/train/step") { [self] request in
            let state = try self.state
            let info = try requireModel()
            let started = ContinuousClock.now
            let body = try JSONObjectReader.parse(request.body)
            let algorithm = try TrainStepRequest.algorithm(body)
            let settings = try TrainStepSettings.read(body)
            let sources = ["group_ids", "groups", "prompts"].filter { body.has($0) }
            guard sources.count == 1 else {
                throw body.invalid(sources.first ?? "group_ids", code: sources.isEmpty ? "missing_field" : "invalid_field",
                                   "give exactly one of group_ids, groups or prompts")
            }
            var scored: [ScoredGroup] = []
            var storedIDs: [String] = []
            var stale = 0
            let policy = engine.snapshot
            switch sources[0] {
            case "group_ids":
                let ids = try body.optionalStrings("group_ids", maxCount: configuration.limits.maxPrompts) ?? []
                if ids.isEmpty { throw body.invalid("group_ids", "must not be empty") }
                try body.finish()
                let groups = try state.groups.groups(ids, path: "group_ids")
                for (i, g) in groups.enumerated() {
                    try TrainStepRequest.check(g.scored.group, algorithm: algorithm, field: "group_ids[\(i)]")
                    if g.policyVersion != policy.policyVersion { stale += 1 }
                }
                scored = groups.map(\.scored)
                storedIDs = ids
            case "groups":
                let serverScored = body.has("reward")
                let reward = serverScored ? try resolveReward(body) : nil
                let inline = try TrainStepRequest.inlineGroups(body, info: info, limits: configuration.limits,
                                                               algorithm: algorithm, serverScored: serverScored)
                try body.finish()
                if let reward {
                    let outcomes = await scoreGroups(inline.map(\.group), reward: reward)
                    scored = try zip(inline, outcomes).map { try ScoredGroup(group: $0.group, sampleRewards: $1.samples.map(\.value),
                                                                             referenceReward: $1.reference?.value) }
                } else {
                    scored = try inline.map { try ScoredGroup(group: $0.group, sampleRewards: $0.rewards, referenceReward: $0.referenceReward) }
                }
            default:
                let items = try GroupRequest.readItems(body, key: "prompts", info: info, limits: configuration.limits,
                                                       requireReference: nil)
                for (i, item) in items.enumerated() where TrainStepRequest.needsReference(algorithm, hasRejected: item.rejected != nil)
                    && item.reference == nil {
                    throw StoreError.invalid("prompts[\(i)].reference", "is required by \(algorithm.name.rawValue)")
                }
                let sampledIndices = items.indices.filter { algorithm.samplesGroup(hasRejected: items[$0].rejected != nil) }
                let options = try groupOptions(body, info: info)
                let advantageOptions = algorithm.name == .grao ? algorithm.grao.advantages : algorithm.grpo.advantages
                let reward = sampledIndices.isEmpty ? nil : try resolveReward(body)
                if sampledIndices.isEmpty, body.has("reward") { throw body.invalid("reward", "is not used: \(algorithm.name.rawValue) samples nothing here") }
                try body.finish()
                var groups = items.map { RolloutGroup(example: $0.example, prompt: $0.prompt.tokens, samples: [],
                                                      reference: $0.reference, rejected: $0.rejected) }
                if let reward {
                    let sampled = try await sampleGroups(sampledIndices.map { items[$0] }, options: options, info: info)
                    let outcomes = await scoreGroups(sampled, reward: reward)
                    var made: [StoredGroup] = []
                    for (index, (group, outcome)) in zip(sampledIndices, zip(sampled, outcomes)) {
                        groups[index] = group
                        made.append(try Self.storedGroup(group, outcomes: outcome, advantages: advantageOptions,
                                                         reward: reward.name, policy: policy))
                    }
                    storedIDs = state.groups.insert(made).map(\.id)
                    scored = try groups.enumerated().map { i, g in
                        if let k = sampledIndices.firstIndex(of: i) {
                            return try ScoredGroup(group: g, sampleRewards: outcomes[k].samples.map(\.value),
                                                   referenceReward: outcomes[k].reference?.value)
                        }
                        return try ScoredGroup(group: g, sampleRewards: [], referenceReward: nil)
                    }
                } else {
                    scored = try groups.map { try ScoredGroup(group: $0, sampleRewards: [], referenceReward: nil) }
                }
            }
            let rolloutSeconds = Self.seconds(since: started)
            let (metricsOut, stats) = try await trainStep(scored, algorithm: algorithm, settings: settings, info: info)
            var rollout = stats
            rollout.seconds = rolloutSeconds
            metrics.recordStep(metricsOut, algorithm: algorithm.name.rawValue)
            logger.info("train step", metadata: ["step": "\(metricsOut.step)", "algorithm": "\(algorithm.name.rawValue)",
                                                 "loss": "\(metricsOut.loss)", "applied": "\(metricsOut.applied)"])
            var response = try Self.stepJSON(metricsOut, algorithm: algorithm)
            response["rollout"] = try Self.encodedJSON(rollout)
            response["group_ids"] = storedIDs
            response["stale_groups"] = stale
            response["seconds"] = Self.seconds(since: started)
            return try JSONResponse.make(response)
        }
    }

    /// The update itself on the engine thread: the trainer (created by the first step), the objective items, the step.
    /// A trainer created for a request that then fails is dropped again.
    func trainStep(_ scored: [ScoredGroup], algorithm: AlgorithmConfig, settings: TrainStepSettings,
                   info: ModelInfo) async throws -> (StepMetrics, RolloutStats) {
        let codec = try GroupRequest.codec(info, field: "prompts")
        try await self.state.runs.requireIdle("a train step")
        do {
            return try await engine.run { context in
                let (trainer, created) = try context.trainer(for: settings)
                do {
                    let rollout = try Rollout(algorithm: algorithm, settings: RolloutSettings(), codec: codec)
                    let batch = try rollout.items(scored, trainer: trainer)
                    let metrics = try trainer.step(batch.items)
                    context.extensions[EngineContext.lastAlgorithmKey] = algorithm
                    return (metrics, batch.stats)
                } catch {
                    if created { context.trainer = nil }
                    throw error
                }
            }
        } catch let error as AlignmentError {
            throw TrainStepRequest.invalid(error)
        } catch let error as LlamaError {
            throw HTTPError(.badRequest, code: "invalid_training", message: error.description)
        }
    }

    /// A step's metrics as JSON (snake_case), with the algorithm and its settings.
    static func stepJSON(_ m: StepMetrics, algorithm: AlgorithmConfig) throws -> [String: Any] {
        var object: [String: Any] = [
            "step": m.step, "applied": m.applied, "loss": JSONResponse.number(m.loss),
            "terms": m.terms.mapValues { JSONResponse.number($0) }, "grad_norm": JSONResponse.number(m.gradNorm),
            "learning_rate": m.learningRate, "items": m.items, "sequences": m.sequences, "tokens": m.tokens,
            "fed_tokens": m.fedTokens, "micro_batches": m.microBatches, "update_seconds": m.seconds,
            "algorithm": try encodedJSON(algorithm),
        ]
        if let reason = m.skipReason { object["skip_reason"] = reason }
        return object
    }

    /// An Encodable value as a Foundation JSON object (for values whose types define their own JSON).
    static func encodedJSON(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
