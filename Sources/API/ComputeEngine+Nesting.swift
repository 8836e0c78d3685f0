extension ComputeEngine {
    /// The job running on an engine, as seen from inside it: the engine thread while the job's body runs, and any
    /// task created there (task-local values are inherited), e.g. one the body waits for.
    final class JobScope: @unchecked Sendable {
        // @unchecked: the context is only used while its job is running and waiting for the nested work, so
        // the engine thread and the nested work never use it at the same time.
        let engine: ComputeEngine
        let context: EngineContext

        init(engine: ComputeEngine, context: EngineContext) {
            self.engine = engine
            self.context = context
        }
    }

    /// Set while a work job's body runs (see `serve`).
    static let currentJob = TaskLocal<JobScope?>(wrappedValue: nil)

    /// Runs `work` with the model like `run`, except when called from inside one of this engine's jobs: then the
    /// job already holds the model, and waiting for a turn behind it would wait forever, so `work` runs right
    /// there on the caller's context. For work a job may need on its own behalf, such as a reward whose model judge
    /// reads likelihoods while a job waits for that reward.
    public func runNested<T: Sendable>(_ work: @escaping @Sendable (EngineContext) throws -> T) async throws -> T {
        if let scope = Self.currentJob.get(), scope.engine === self { return try work(scope.context) }
        return try await run(work)
    }

    /// Whether the caller is inside one of this engine's jobs (so `runNested` runs inline).
    public var isInsideJob: Bool { Self.currentJob.get()?.engine === self }
}
