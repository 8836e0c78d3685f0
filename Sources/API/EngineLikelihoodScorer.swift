import Rewards

/// The likelihoods behind `model_judge` rewards in the server: every batch runs as jobs on the compute engine,
/// the model's one owner, taking its turn with generation, training steps and checkpoint loads (never touching
/// the weights from another thread, never blocking the event loop or a cooperative thread). Called from inside an
/// engine job (a job that waits for a reward), it runs there instead of queueing behind that job (`runNested`).
///
/// The judge reads the engine's base model (`EngineContext.model`), as `grao train` does: with LoRA the frozen
/// base, so the judge does not drift while the policy trains; with full fine-tuning the weights being trained.
/// Long batches are split into jobs of at most `promptsPerJob` distinct prompts, so a large `POST /v1/score`
/// lets other clients' jobs in between.
public final class EngineLikelihoodScorer: CompletionLikelihoodScorer {
    /// The engine whose model is read.
    public let engine: ComputeEngine
    /// Most distinct judge prompts (one per pair and order) scored in one engine job.
    public let promptsPerJob: Int

    /// A scorer over `engine`'s model.
    public init(engine: ComputeEngine, promptsPerJob: Int = 8) {
        self.engine = engine
        self.promptsPerJob = max(1, promptsPerJob)
    }

    /// One value per query, in order (see `CompletionLikelihoodScorer`).
    public func logLikelihoods(_ queries: [LikelihoodQuery]) async throws -> [Double] {
        var results: [Double] = []
        results.reserveCapacity(queries.count)
        for slice in Self.slices(queries, promptsPerSlice: promptsPerJob) {
            let part = Array(queries[slice])
            results += try await engine.runNested { context in try context.likelihoodScorer().logLikelihoodsNow(part) }
        }
        return results
    }

    /// Consecutive ranges of `queries` with at most `promptsPerSlice` distinct prompts each (a judge asks its
    /// verdicts one prompt after another, so splitting between prompts keeps each prompt's prefill shared).
    static func slices(_ queries: [LikelihoodQuery], promptsPerSlice: Int) -> [Range<Int>] {
        var slices: [Range<Int>] = []
        var start = 0
        var prompts: Set<String> = []
        for (i, query) in queries.enumerated() where !prompts.contains(query.prompt) {
            if prompts.count == promptsPerSlice {
                slices.append(start..<i)
                start = i
                prompts = []
            }
            prompts.insert(query.prompt)
        }
        if start < queries.count { slices.append(start..<queries.count) }
        return slices
    }
}

extension EngineContext {
    static let likelihoodScorerKey = "grao.likelihood_scorer"

    /// The model judge's scorer over the base model, made on first use and kept (it holds the chat template's
    /// framing tokens). Engine-thread only, like the rest of the context.
    public func likelihoodScorer() throws -> ModelLikelihoodScorer {
        if let scorer = extensions[Self.likelihoodScorerKey] as? ModelLikelihoodScorer { return scorer }
        guard let template = info.chatTemplate else {
            throw ModelLikelihoodScorer.ScorerError(description: "the model has no usable chat template, which the model judge needs")
        }
        let scorer = ModelLikelihoodScorer(model: model, tokenizer: info.tokenizer, template: template)
        extensions[Self.likelihoodScorerKey] = scorer
        return scorer
    }
}
