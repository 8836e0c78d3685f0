import Llama

extension ComputeEngine {
    /// Generates groups of samples with the current policy: per request, its samples in order. Requests from
    /// callers whose jobs wait together are decoded as one batch (every sample of every request advances one
    /// token per forward pass), which is what makes G = 8 groups for many clients cheap: decoding is bound by
    /// reading the weights, and a batch reads them once per step for all its rows.
    ///
    /// Validate requests before submitting (the API does, naming fields); a request the model still refuses
    /// fails only its own caller, never the others in its batch.
    public func generate(_ requests: [GenerationRequest]) async throws -> [[GeneratedSample]] {
        if requests.isEmpty { return [] }
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enqueue(.generate(id: id, requests: requests, continuation: continuation))
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Runs one batch of generation jobs on the engine thread and hands each caller its share.
    func generate(_ jobs: [(requests: [GenerationRequest], continuation: CheckedContinuation<[[GeneratedSample]], any Error>)],
                  context: EngineContext) {
        let all = jobs.flatMap(\.requests)
        do {
            let results = try context.policy.generate(all, endOfSequence: context.info.endOfSequence,
                                                      decoder: context.info.tokenizer)
            var offset = 0
            for job in jobs {
                job.continuation.resume(returning: Array(results[offset..<offset + job.requests.count]))
                offset += job.requests.count
            }
        } catch {
            if jobs.count == 1 {
                jobs[0].continuation.resume(throwing: error)
                return
            }
            // One caller's request spoiled the batch: give each caller its own answer (or its own error).
            for job in jobs {
                job.continuation.resume(with: Result {
                    try context.policy.generate(job.requests, endOfSequence: context.info.endOfSequence,
                                                decoder: context.info.tokenizer)
                })
            }
        }
    }
}
