/// Where a training run's heavy work (sampling, reference log-probs, update steps, checkpoints) executes. The
/// API passes its compute engine, so runs take their turn on the one thread that owns the model alongside other
/// requests; the CLI and tests run the work inline.
public protocol ModelExecutor: Sendable {
    /// Runs `work` and returns its result (or rethrows its error).
    func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T
}

/// Runs work directly on the calling task.
public struct InlineExecutor: ModelExecutor {
    public init() {}

    public func run<T: Sendable>(_ work: @Sendable @escaping () throws -> T) async throws -> T { try work() }
}
