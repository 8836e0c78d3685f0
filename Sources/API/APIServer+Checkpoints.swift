import Alignment
import Foundation
import HTTP

extension APIServer {
    /// `GET /v1/checkpoints` (what is in `<data>/checkpoints`), `POST /v1/checkpoints` (`{"name"?, "overwrite"?,
    /// "include_optimizer"?}`: save the trainer now; default name `step-N`), `POST /v1/checkpoints/{name}/load`
    /// (`{"restore_optimizer"?}`: a checkpoint that does not fit, or is corrupt, is refused with 409 and the
    /// current weights are kept). Saving and loading run on the engine, between other jobs.
    func registerCheckpointRoutes(_ routes: inout APIRoutes) {
        routes.add(.GET, "/v1/checkpoints") { [self] _ in
            let state = try self.state
            return try JSONResponse.make([
                "checkpoints": state.checkpoints.list().map(Self.checkpointJSON),
                "current": engine.snapshot.checkpoint ?? NSNull(),
            ] as [String: Any])
        }
        routes.add(.POST, "/v1/checkpoints") { [self] request in
            let state = try self.state
            _ = try requireModel()
            let body = try JSONObjectReader.parse(request.body.isEmpty ? Array("{}".utf8) : request.body)
            let name = try body.optionalString("name")
            if let name { try CheckpointCatalog.validateName(name, path: "name") }
            let overwrite = try body.optionalBool("overwrite") ?? false
            let includeOptimizer = try body.optionalBool("include_optimizer") ?? true
            try body.finish()
            let catalog = state.checkpoints
            let info = try await engine.run { context -> CheckpointCatalog.Info in
                guard let trainer = context.trainer else {
                    throw StoreError.conflict("no_trainer", "nothing to save: no training step has run and no checkpoint is "
                                              + "loaded (the base model is the GGUF file)")
                }
                let chosen = name ?? "step-\(trainer.optimizer.step)"
                let algorithm = context.extensions[EngineContext.lastAlgorithmKey] as? AlgorithmConfig
                var hyper: [String: String] = [:]
                if let algorithm, let data = try? JSONEncoder().encode(algorithm) {
                    hyper["algorithm"] = String(decoding: data, as: UTF8.self)
                }
                let saved = try catalog.save(trainer, name: chosen, objective: algorithm?.name.rawValue ?? "none",
                                             baseModelSHA256: try context.baseModelSHA256(), hyperParameters: hyper,
                                             includeOptimizer: includeOptimizer, overwrite: overwrite, field: "name")
                context.checkpoint = chosen
                return saved
            }
            logger.notice("checkpoint saved", metadata: ["checkpoint": "\(info.name)", "bytes": "\(info.bytes)"])
            return try JSONResponse.make(Self.checkpointJSON(info), status: .created)
        }
        routes.add(.POST, "/v1/checkpoints/{name}/load") { [self] request in
            let state = try self.state
            _ = try requireModel()
            let name = request.pathParameters["name"] ?? ""
            let body = try JSONObjectReader.parse(request.body.isEmpty ? Array("{}".utf8) : request.body)
            let restoreOptimizer = try body.optionalBool("restore_optimizer") ?? true
            try body.finish()
            let catalog = state.checkpoints
            let described = try catalog.describe(name)
            try await state.runs.requireIdle("loading a checkpoint")
            guard let meta = described.metadata else {
                throw StoreError.conflict("checkpoint_unusable", "checkpoint '\(name)' is unreadable: \(described.problem ?? "?"); "
                                          + "the current weights are unchanged")
            }
            let loaded = try await engine.run { context -> CheckpointMetadata in
                let hash = try context.baseModelSHA256()
                guard meta.baseModelSHA256 == hash else {
                    throw StoreError.conflict("checkpoint_unusable", "checkpoint '\(name)' was made for base model sha256 "
                                              + "\(meta.baseModelSHA256), this model is \(hash); the current weights are unchanged")
                }
                var created = false
                if context.trainer == nil {
                    context.trainer = try PolicyTrainer(model: context.model, config: meta.trainer)
                    created = true
                }
                do {
                    let result = try catalog.load(name, into: context.trainer!, baseModelSHA256: hash,
                                                  restoreOptimizer: restoreOptimizer)
                    context.checkpoint = name
                    return result
                } catch {
                    if created { context.trainer = nil }
                    throw error
                }
            }
            logger.notice("checkpoint loaded", metadata: ["checkpoint": "\(name)", "step": "\(loaded.step)"])
            return try JSONResponse.make(["loaded": name, "step": loaded.step, "kind": loaded.kind,
                                          "objective": loaded.objective] as [String: Any])
        }
    }

    /// A listed checkpoint as JSON.
    static func checkpointJSON(_ info: CheckpointCatalog.Info) -> [String: Any] {
        var object: [String: Any] = ["name": info.name, "bytes": info.bytes, "modified_at": info.modifiedAt]
        if let m = info.metadata {
            object["kind"] = m.kind
            object["step"] = m.step
            object["objective"] = m.objective
            object["base_model_sha256"] = m.baseModelSHA256
            object["has_optimizer"] = m.optimizerFile != nil
            if case .lora(let l) = m.trainer.mode {
                object["lora"] = ["rank": l.rank, "alpha": l.alpha, "targets": l.targets.map(\.rawValue)] as [String: Any]
            }
        }
        if let problem = info.problem { object["problem"] = problem }
        return object
    }
}
