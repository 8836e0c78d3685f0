import Llama

/// What a generation observer sees while its request decodes: per sample (its request's index among the call's
/// requests, and its index in that request's group), each drawn token, then the finished sample.
public enum GenerationEvent: Sendable {
    /// A sample drew `token` (with its log-prob under the model); the end-of-sequence token is reported too.
    case token(request: Int, sample: Int, token: Int, logProb: Float)
    /// A sample ended: what `generate` returns for it (text cut at a stop string, finish reason).
    case finished(request: Int, sample: Int, GeneratedSample)
}

/// Called on the engine thread with each `GenerationEvent` of one `generate` call.
public typealias GenerationObserver = @Sendable (GenerationEvent) -> Void

/// One caller's generation requests waiting for (or in) a decode session.
struct GenerationJob {
    let id: UInt64
    let requests: [GenerationRequest]
    let continuation: DecodeSession.Continuation
    let observer: GenerationObserver?
}

extension ComputeEngine {
    /// Generates groups of samples with the current policy: per request, its samples in order. Generation is
    /// continuously batched: every sample of every admitted request advances one token per forward pass, and a
    /// request that arrives while others decode joins at the next step (decoding is bound by reading the
    /// weights, and a batch reads them once per step for all its rows). A caller that is cancelled (its client
    /// left) has its samples dropped at the next step.
    ///
    /// Validate requests before submitting (the API does, naming fields); a request the model still refuses
    /// fails only its own caller, never the others in its batch.
    ///
    /// `observer`, when given, sees every token as it is drawn and every sample as it finishes (`GenerationEvent`),
    /// on the engine thread between decode steps: it must only hand the event on (e.g. yield it to a stream),
    /// never block. Streaming routes send tokens to their clients from it.
    public func generate(_ requests: [GenerationRequest],
                         observer: GenerationObserver? = nil) async throws -> [[GeneratedSample]] {
        if requests.isEmpty { return [] }
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enqueue(.generate(GenerationJob(id: id, requests: requests, continuation: continuation, observer: observer)))
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Generation jobs at the head of the queue that fit beside `samples` and `positions` already decoding.
    /// Only the head: a work job (scoring, a training step) waiting in front stops new joins, so the session
    /// drains and the work gets its turn.
    func takeJoiners(_ s: inout State, samples: Int, positions: Int) -> [GenerationJob] {
        var joiners: [GenerationJob] = []
        var samples = samples, positions = positions
        while s.status != .stopped, case .generate(let job)? = s.queue.first {
            let count = Self.samples(job.requests), reserved = Self.positions(job.requests)
            if samples + count > limits.maxBatchSamples || positions + reserved > limits.maxBatchPositions { break }
            samples += count
            positions += reserved
            joiners.append(job)
            s.queue.removeFirst()
        }
        return joiners
    }

    /// Runs a decode session on the engine thread until its last sample finishes, admitting joiners and
    /// dropping cancelled jobs between steps.
    func decode(_ jobs: [GenerationJob], context: EngineContext) {
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
