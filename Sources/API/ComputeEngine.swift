import Dispatch
import Foundation
import HTTP
import Alignment
import Llama
import Synchronization

/// The one owner of the model. Every job that touches weights (generation, scoring by likelihood, training
/// steps, checkpoint loads) runs on one dedicated thread, in order, so no two jobs ever see the weights
/// half-updated. A dedicated thread rather than a Swift concurrency task: the model code blocks its caller
/// (OpenBLAS, `DispatchQueue.concurrentPerform`), and blocking one of the cooperative pool's two threads
/// would stall every other request, `/healthz` included.
///
/// Jobs are submitted with `async` calls that suspend the caller until the job is done. The queue is bounded:
/// past `Limits.queueCapacity` waiting jobs a submission fails at once with 503 and `Retry-After`. A caller
/// whose task is cancelled (its client disconnected) has its job dropped if the job has not started.
/// Generation jobs waiting together are decoded together as one batch (`ComputeEngine+Generation.swift`).
public final class ComputeEngine: Sendable {
    /// Bounds on the queue and on one generation batch.
    public struct Limits: Sendable {
        /// Jobs that may wait (not counting the running one).
        public var queueCapacity: Int
        /// Most samples (sum of group sizes) decoded in one batch; more waiting samples go in the next batch.
        public var maxBatchSamples: Int
        /// Most KV-cache positions (Σ samples × max tokens, plus prompts) one batch may reserve: the caches are
        /// allocated up front, ~46 KB per position for SmolLM2-135M, so 65,536 positions is ~3 GB.
        public var maxBatchPositions: Int

        /// Defaults: 64 waiting jobs, 256 samples and 65,536 cache positions per batch.
        public init(queueCapacity: Int = 64, maxBatchSamples: Int = 256, maxBatchPositions: Int = 65_536) {
            self.queueCapacity = queueCapacity
            self.maxBatchSamples = maxBatchSamples
            self.maxBatchPositions = maxBatchPositions
        }
    }

    /// Where the engine is in its life.
    public enum Status: Sendable, Equatable {
        /// The model is being loaded.
        case loading
        /// Serving jobs.
        case ready
        /// The model could not be loaded (the reason); every job fails with 503.
        case failed(String)
        /// `stop()` was called.
        case stopped
    }

    enum Job {
        /// Arbitrary work; `body` runs it and resumes its caller, `fail` resumes the caller with an error.
        case work(id: UInt64, body: @Sendable (EngineContext) -> Void, fail: @Sendable (any Error) -> Void)
        /// Groups to generate for one caller.
        case generate(GenerationJob)

        var id: UInt64 {
            switch self {
            case .work(let id, _, _): return id
            case .generate(let job): return job.id
            }
        }

        func fail(_ error: any Error) {
            switch self {
            case .work(_, _, let fail): fail(error)
            case .generate(let job): job.continuation.resume(throwing: error)
            }
        }
    }

    /// What `/v1/model` reports about the trained state, copied from the context after every job so that
    /// reading it never waits for the engine.
    public struct Snapshot: Sendable, Equatable {
        /// Optimizer steps taken.
        public var step: Int
        /// Full fine-tuning or LoRA (nil before a trainer exists).
        public var mode: TrainingMode?
        /// Checkpoint last loaded or saved.
        public var checkpoint: String?
        /// `EngineContext.policyVersion`: which weights the policy had after the last job.
        public var policyVersion: UInt64 = 0
    }

    struct State {
        var status: Status = .loading
        var info: ModelInfo?
        var snapshot = Snapshot(step: 0, mode: nil, checkpoint: nil, policyVersion: 0)
        var queue: [Job] = []
        var nextID: UInt64 = 1
        var running = false
        /// Generation jobs in the running decode session, and those of them whose callers left.
        var decoding: Set<UInt64> = []
        var cancelledDecoding: Set<UInt64> = []
        var jobsDone: UInt64 = 0
        var jobsJoined: UInt64 = 0
        var jobsDropped: UInt64 = 0
        var jobsRejected: UInt64 = 0
    }

    /// Queue and batch bounds.
    public let limits: Limits
    let state = Mutex(State())
    let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the engine thread, which first runs `load` (reading the model takes seconds: the server can
    /// already answer `/healthz` and say "not ready" on `/readyz` meanwhile), then serves jobs until `stop()`.
    public init(limits: Limits = Limits(), load: @escaping @Sendable () throws -> EngineContext) {
        self.limits = limits
        let thread = Thread { [self] in
            let context: EngineContext
            do {
                context = try load()
            } catch {
                let failed = state.withLock { s -> [Job] in
                    s.status = .failed("\(error)")
                    defer { s.queue = [] }
                    return s.queue
                }
                for job in failed { job.fail(Self.unavailable("the model failed to load")) }
                return
            }
            publishSnapshot(context)  // a loader may have restored trained state
            state.withLock { s in
                s.info = context.info
                if s.status == .loading { s.status = .ready }
            }
            serve(context)
        }
        thread.name = "grao-engine"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Loading, ready, failed or stopped.
    public var status: Status { state.withLock { $0.status } }

    /// Step, adapter kind and checkpoint as of the last finished job.
    public var snapshot: Snapshot { state.withLock { $0.snapshot } }

    /// Tokenizer, template and shapes of the loaded model; nil until it is loaded.
    public var modelInfo: ModelInfo? { state.withLock { $0.info } }

    /// Counters for `/metrics`: jobs waiting, whether one is running, and totals since start (`done` counts work
    /// jobs and decode sessions; `joined`, generation jobs that joined a session already decoding).
    public var counters: (queued: Int, running: Bool, done: UInt64, dropped: UInt64, rejected: UInt64, joined: UInt64) {
        state.withLock { ($0.queue.count, $0.running, $0.jobsDone, $0.jobsDropped, $0.jobsRejected, $0.jobsJoined) }
    }

    /// Runs `work` on the engine thread when its turn comes and returns its result. Throws what `work` throws;
    /// `HTTPError` 503 when the queue is full or the model is not loaded; `CancellationError` when the calling
    /// task was cancelled before the job started (the job is then never run).
    public func run<T: Sendable>(_ work: @escaping @Sendable (EngineContext) throws -> T) async throws -> T {
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job = Job.work(id: id, body: { [self] context in
                    let result = Result { try work(context) }
                    // Before the caller resumes: a client that reads /v1/model right after its step or
                    // checkpoint load must see it (the loop's update after the job came too late, a race).
                    publishSnapshot(context)
                    continuation.resume(with: result)
                }, fail: { error in continuation.resume(throwing: error) })
                enqueue(job)
            }
        } onCancel: {
            cancel(id)
        }
    }

    /// Stops taking jobs; waiting ones fail with 503, the running one finishes, then the thread exits.
    public func stop() {
        let waiting = state.withLock { s -> [Job] in
            if case .failed = s.status {} else { s.status = .stopped }
            defer { s.queue = [] }
            return s.queue
        }
        for job in waiting { job.fail(Self.unavailable("the server is shutting down")) }
        wakeUp.signal()
    }

    /// Adds a job, or fails it at once when the engine cannot take it. Called synchronously from the submitting
    /// task: its cancellation flag is read under the same lock `cancel` takes, so a cancellation either finds the
    /// job queued or is seen here.
    func enqueue(_ job: Job) {
        let refusal = state.withLock { s -> (any Error)? in
            if Task.isCancelled {
                s.jobsDropped += 1
                return CancellationError()
            }
            switch s.status {
            case .loading, .ready: break
            case .failed: return Self.unavailable("the model failed to load")
            case .stopped: return Self.unavailable("the server is shutting down")
            }
            if s.queue.count >= limits.queueCapacity {
                s.jobsRejected += 1
                return HTTPError(.serviceUnavailable, code: "engine_busy",
                                 message: "the model engine has \(s.queue.count) jobs waiting (its limit); retry later",
                                 headers: ["Retry-After": "1"])
            }
            s.queue.append(job)
            return nil
        }
        if let refusal { job.fail(refusal) } else { wakeUp.signal() }
    }

    /// Drops job `id` if it is still waiting, or marks it for removal from the decode session at the next step
    /// (a running work job or a finished job is left alone).
    func cancel(_ id: UInt64) {
        let dropped = state.withLock { s -> Job? in
            guard let index = s.queue.firstIndex(where: { $0.id == id }) else {
                if s.decoding.contains(id) {
                    s.cancelledDecoding.insert(id)
                    s.jobsDropped += 1
                }
                return nil
            }
            s.jobsDropped += 1
            return s.queue.remove(at: index)
        }
        dropped?.fail(CancellationError())
    }

    static func unavailable(_ message: String) -> HTTPError {
        HTTPError(.serviceUnavailable, code: "engine_unavailable", message: message, headers: ["Retry-After": "5"])
    }

    /// The engine thread's loop: take the next batch of work, run it, repeat.
    private func serve(_ context: EngineContext) {
        while true {
            wakeUp.wait()
            while let batch = takeNext() {
                switch batch {
                case .work(let body):
                    Self.currentJob.withValue(JobScope(engine: self, context: context)) { body(context) }
                case .generate(let jobs):
                    decode(jobs, context: context)  // changes nothing the snapshot reports
                }
                state.withLock { s in
                    s.running = false
                    s.jobsDone += 1
                }
            }
            if state.withLock({ $0.status == .stopped }) { return }
        }
    }

    /// Copies what `/v1/model` reports from the context (engine thread only): after loading, and after each
    /// work job before its caller resumes (`run`).
    private func publishSnapshot(_ context: EngineContext) {
        let snapshot = Snapshot(step: context.step, mode: context.trainer?.config.mode, checkpoint: context.checkpoint,
                                policyVersion: context.policyVersion)
        state.withLock { $0.snapshot = snapshot }
    }

    static func samples(_ requests: [GenerationRequest]) -> Int { requests.reduce(0) { $0 + $1.sampleCount } }

    /// KV-cache positions a batch of requests reserves: each prompt once, each sample its max tokens.
    public static func positions(_ requests: [GenerationRequest]) -> Int {
        requests.reduce(0) { $0 + $1.prompt.count + $1.sampleCount * $1.maxTokens }
    }

    enum Batch {
        case work(@Sendable (EngineContext) -> Void)
        case generate([GenerationJob])
    }

    /// Pops the head job; a generation job takes the generation jobs right behind it along (up to the sample
    /// budget), so requests that arrived together share one decode. Work queued behind keeps its turn.
    private func takeNext() -> Batch? {
        state.withLock { s -> Batch? in
            guard !s.queue.isEmpty, s.status != .stopped else { return nil }
            s.running = true
            switch s.queue.removeFirst() {
            case .work(_, let body, _):
                return .work(body)
            case .generate(let job):
                var jobs = [job]
                jobs += takeJoiners(&s, samples: Self.samples(job.requests), positions: Self.positions(job.requests))
                s.decoding = Set(jobs.map(\.id))
                return .generate(jobs)
            }
        }
    }
}
