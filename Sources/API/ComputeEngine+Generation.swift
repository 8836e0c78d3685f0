import Llama

extension ComputeEngine {
    /// Generates groups of samples with the current policy: per request, its samples in order. Generation is
    /// continuously batched: every sample of every admitted request advances one token per forward pass, and a
    /// request that arrives while others decode joins at the next step (decoding is bound by reading the
    /// weights, and a batch reads them once per step for all its rows). A caller that is cancelled (its client
    /// left) has its samples dropped at the next step.
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

    /// Generation jobs at the head of the queue that fit beside `samples` and `positions` already decoding.
    /// Only the head: a work job (scoring, a training step) waiting in front stops new joins, so the session
    /// drains and the work gets its turn.
    func takeJoiners(_ s: inout State, samples: Int, positions: Int)
        -> [(id: UInt64, requests: [GenerationRequest], continuation: DecodeSession.Continuation)] {
        var joiners: [(id: UInt64, requests: [GenerationRequest], continuation: DecodeSession.Continuation)] = []
        var samples = samples, positions = positions
        while s.status != .stopped, case .generate(let id, let requests, let continuation)? = s.queue.first {
            let count = Self.samples(requests), reserved = Self.positions(requests)
            if samples + count > limits.maxBatchSamples || positions + reserved > limits.maxBatchPositions { break }
            samples += count
            positions += reserved
            joiners.append((id, requests, continuation))
            s.queue.removeFirst()
        }
        return joiners
    }

    /// Runs a decode session on the engine thread until its last sample finishes, admitting joiners and
    /// dropping cancelled jobs between steps.
    func decode(_ jobs: [(id: UInt64, requests: [GenerationRequest], continuation: DecodeSession.Continuation)],
                context: EngineContext) {
        let session = DecodeSession(model: context.policy, info: context.info)
        session.admit(jobs)
        while session.isActive {
            session.step()
            let load = session.load
            let (joiners, cancelled) = state.withLock { s in
                let cancelled = s.cancelledDecoding
                s.cancelledDecoding = []
                let joiners = takeJoiners(&s, samples: load.samples, positions: load.positions)
                s.jobsJoined += UInt64(joiners.count)
                s.decoding.formUnion(joiners.map(\.id))
                return (joiners, cancelled)
            }
            session.drop(cancelled)
            if !joiners.isEmpty { session.admit(joiners) }
        }
        state.withLock { s in
            s.decoding = []
            s.cancelledDecoding = []
        }
    }
}
