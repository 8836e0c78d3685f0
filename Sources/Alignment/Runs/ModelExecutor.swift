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

/// Thrown by an executor that will never run work again because its process is shutting down (the API's engine
/// once stopped). A run that gets it ends `interrupted` with this reason, not `failed`: nothing was wrong with
/// the run, and a restart shows it as a stop in the middle.
public struct RunInterruption: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the work was refused (e.g. "the server is shutting down").
    public var reason: String

    /// An interruption for `reason`.
    public init(reason: String) { self.reason = reason }

    public var description: String { reason }
}
