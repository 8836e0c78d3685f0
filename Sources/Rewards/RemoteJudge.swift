import CurlClient
import Logging
import Synchronization

/// A reward computed by a judge over HTTP. One engine for every wire format: it batches items, serves repeats
/// from an LRU cache, caps concurrency and requests per minute, enforces per-call and per-batch deadlines,
/// retries transient failures with jittered backoff (`Retry-After` on 429), and trips a circuit breaker when the
/// judge keeps failing. A failure is reported per item, never replaced by a number.
public final class RemoteJudge: RewardModel {
    /// Client-side behaviour, from the spec (docs/rewards.md lists the JSON names and defaults).
    public struct Options: Sendable, Equatable {
        /// Deadline for one HTTP call, seconds.
        public var callTimeout: Double = 30
        /// Deadline for a whole `score` call, seconds; items not done by then fail with `deadline`.
        public var batchTimeout: Double = 120
        /// HTTP calls in flight at once. Enforced by the transport, which `RewardContext.makeTransport` builds with
        /// this cap: queueing on the transfer thread replaces a finished call at once, ~8% faster at 32 x 50 ms
        /// than a gate in front of it (scripts/bench-judge.sh).
        public var maxConcurrency: Int = 8
        /// Requests started per minute; 0 means no cap.
        public var maxRequestsPerMinute: Int = 0
        /// Retries, backoff base and cap.
        public var retry = RetryPolicy(maxRetries: 3, baseDelay: 0.2, maxDelay: 10)
        /// Consecutive failed calls that open the breaker, and how long it stays open (seconds).
        public var breakerThreshold: Int = 5
        /// (See `breakerThreshold`.)
        public var breakerCooldown: Double = 30
        /// Cached scores kept; 0 disables the cache.
        public var cacheSize: Int = 10_000

        /// The defaults above.
        public init() {}
    }

    /// Counters for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        /// HTTP calls sent (retries included).
        public var calls = 0
        /// Retries among those calls.
        public var retries = 0
        /// Items answered from the cache / looked up and not found.
        public var cacheHits = 0
        /// (See `cacheHits`.)
        public var cacheMisses = 0
        /// Items that ended as failures.
        public var failures = 0
        /// Times the circuit breaker opened.
        public var breakerOpenings = 0
    }

    private struct State {
        var breaker: CircuitBreaker
        var cache: RewardCache
        var limiter: RateLimiter
        var rng: SplitMix64
        var stats = Statistics()
    }

    /// The spec's `name` (default: its type).
    public let name: String
    let url: String
    let wire: any JudgeWire
    let headers: [HeaderSource]
    let options: Options
    let transport: any HTTPTransport
    let clock: any RewardClock
    let logger: Logger
    let environment: @Sendable (String) -> String?
    private let state: Mutex<State>

    init(name: String, url: String, wire: any JudgeWire, headers: [HeaderSource], options: Options,
         transport: any HTTPTransport, clock: any RewardClock, logger: Logger, seed: UInt64,
         environment: @escaping @Sendable (String) -> String?) {
        self.name = name
        self.url = url
        self.wire = wire
        self.headers = headers
        self.options = options
        self.transport = transport
        self.clock = clock
        var logger = logger
        logger[metadataKey: "judge"] = "\(name)"
        self.logger = logger
        self.environment = environment
        state = Mutex(State(breaker: CircuitBreaker(threshold: options.breakerThreshold, cooldown: options.breakerCooldown),
                            cache: RewardCache(capacity: options.cacheSize),
                            limiter: RateLimiter(requestsPerMinute: options.maxRequestsPerMinute),
                            rng: SplitMix64(seed: seed)))
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        state.withLock { s in
            var st = s.stats
            st.cacheHits = s.cache.hits
            st.cacheMisses = s.cache.misses
            st.breakerOpenings = s.breaker.openings
            return st
        }
    }

    /// The breaker's current state (for health endpoints and tests).
    public var breakerState: CircuitBreaker.State { state.withLock { $0.breaker.state } }

    private func cacheKey(_ item: RewardItem) -> RewardCache.Key {
        RewardCache.Key(judge: "\(url) \(wire.identity)", prompt: item.prompt, completion: item.completion,
                        reference: item.reference)
    }

    /// Cache hits for one item (tests and metrics).
    public func cacheHits(for item: RewardItem) -> Int {
        state.withLock { $0.cache.hitCount(cacheKey(item)) }
    }

    /// Scores a batch; one outcome per item, in order (see `RewardModel`).
    public func score(_ items: [RewardItem]) async -> [RewardOutcome] {
        let batchDeadline = clock.now() + options.batchTimeout
        var outcomes = [RewardOutcome?](repeating: nil, count: items.count)
        var pending: [Int] = []
        state.withLock { s in
            for (i, item) in items.enumerated() {
                if let failure = wire.precheck(item) {
                    outcomes[i] = .failure(failure)
                } else if let hit = s.cache.lookup(cacheKey(item)) {
                    outcomes[i] = .score(hit)
                } else {
                    pending.append(i)
                }
            }
        }
        let chunks = stride(from: 0, to: pending.count, by: wire.batchSize).map {
            Array(pending[$0..<min($0 + wire.batchSize, pending.count)])
        }
        await withTaskGroup(of: ([Int], [RewardOutcome]).self) { group in
            for chunk in chunks {
                group.addTask { (chunk, await self.call(chunk.map { items[$0] }, batchDeadline: batchDeadline)) }
            }
            for await (chunk, results) in group {
                for (k, i) in chunk.enumerated() { outcomes[i] = results[k] }
            }
        }
        let final = outcomes.map { $0 ?? .failure(RewardFailure(.cancelled, "not scored")) }
        state.withLock { s in
            for (i, o) in final.enumerated() {
                switch o {
                case .score(let sc): if pending.contains(i) { s.cache.insert(cacheKey(items[i]), sc) }
                case .failure: s.stats.failures += 1
                }
            }
        }
        return final
    }

    // Small locked steps used by the call path (RemoteJudge+Call.swift).

    func withRNG<T>(_ body: (inout SplitMix64) -> T) -> T { state.withLock { body(&$0.rng) } }
    func recordRetry() { state.withLock { $0.stats.retries += 1 } }
    func recordCall() { state.withLock { $0.stats.calls += 1 } }
    func allowByBreaker(now: Double) -> Bool { state.withLock { $0.breaker.allowRequest(now: now) } }
    func reserveRate(now: Double) -> Double { state.withLock { $0.limiter.reserve(now: now) } }
    func releaseProbe() { state.withLock { $0.breaker.cancelProbe() } }

    /// Feeds the breaker: true = the judge answered, false = it failed, nil = says nothing about the judge.
    func recordBreaker(success: Bool?) {
        let now = clock.now()
        let opened = state.withLock { s -> Bool in
            let before = s.breaker.openings
            switch success {
            case true?: s.breaker.recordSuccess()
            case false?: s.breaker.recordFailure(now: now)
            case nil: s.breaker.cancelProbe()
            }
            return s.breaker.openings > before
        }
        if opened { logger.warning("circuit breaker opened", metadata: ["cooldown_s": "\(options.breakerCooldown)"]) }
    }
}
