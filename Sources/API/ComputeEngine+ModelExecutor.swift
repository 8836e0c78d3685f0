import Alignment

/// Training runs (`Alignment.TrainingRun`) execute their heavy work through a `ModelExecutor`; the API hands them
/// the engine, so a run's sampling, scoring and update steps take their turn on the one thread that owns the
/// model, between other clients' requests, instead of racing them for the weights.
extension ComputeEngine: ModelExecutor {
    /// Runs `work` on the engine thread like `run { context in ... }`, for work that already holds what it needs.
    public func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T {
        try await run { (_: EngineContext) in try work() }
    }
}
