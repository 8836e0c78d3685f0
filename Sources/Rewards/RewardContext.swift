import CurlClient
import Foundation
import Logging

/// What building a reward from a spec may need from outside: how to reach judges, the clock, randomness, the
/// logger and the environment (for `env:NAME` headers). Injected so tests control every one of them.
public struct RewardContext: Sendable {
    /// Makes the HTTP transport for a remote judge from its CA bundle path (nil = system store) and its
    /// concurrency cap, which the transport must enforce (queueing the excess). The default makes one
    /// `CurlClient` per judge.
    public var makeTransport: @Sendable (_ caBundle: String?, _ maxConcurrent: Int) throws -> any HTTPTransport
    /// Time for deadlines, backoff and the breaker.
    public var clock: any RewardClock
    /// Seed for retry jitter (each judge derives its own stream from it).
    public var seed: UInt64
    /// Logger for judges (never given header values).
    public var logger: Logger
    /// Environment lookup for `env:NAME` headers.
    public var environment: @Sendable (String) -> String?
    /// The local model's likelihoods, for `model_judge` specs; nil where no model is loaded (such a spec is then
    /// refused). `RewardSpec.needsLikelihoodScorer` tells whether a spec needs one before it is built.
    public var likelihoodScorer: (any CompletionLikelihoodScorer)?

    /// A context with real transports, the system clock and the process environment (and no local model unless
    /// a scorer is given).
    public init(logger: Logger, seed: UInt64 = 0x6772_616F,
                likelihoodScorer: (any CompletionLikelihoodScorer)? = nil,
                clock: any RewardClock = SystemRewardClock(),
                environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] },
                makeTransport: @escaping @Sendable (String?, Int) throws -> any HTTPTransport = { ca, n in
                    try CurlClient(configuration: .init(maxConcurrent: n, caBundlePath: ca))
                }) {
        self.logger = logger
        self.seed = seed
        self.clock = clock
        self.environment = environment
        self.makeTransport = makeTransport
        self.likelihoodScorer = likelihoodScorer
    }
}
