/// Time as the remote judges see it: monotonic seconds and a sleep. Injected so the circuit breaker, the rate
/// limiter and backoff can be tested without waiting.
public protocol RewardClock: Sendable {
    /// Monotonic seconds since an arbitrary origin.
    func now() -> Double
    /// Suspends for `seconds` (throws on cancellation).
    func sleep(seconds: Double) async throws
}

/// The real clock (ContinuousClock).
public struct SystemRewardClock: RewardClock {
    private let origin = ContinuousClock.now

    /// Makes a clock whose origin is now.
    public init() {}

    /// Seconds since this clock was made.
    public func now() -> Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Task.sleep, capped at a day.
    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .nanoseconds(Int64(min(seconds, 86_400) * 1e9)))
    }
}

/// SplitMix64: a tiny seeded generator, so retry jitter is reproducible in tests and runs.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds the generator.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
