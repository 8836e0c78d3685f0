import Foundation

/// When and how long to wait before trying a judge again: exponential backoff with jitter on connection errors,
/// timeouts and 5xx; `Retry-After` on 429; never on other 4xx.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (so attempts = maxRetries + 1).
    public var maxRetries: Int
    /// Backoff before the first retry, seconds.
    public var baseDelay: Double
    /// Cap on any single backoff, seconds.
    public var maxDelay: Double

    /// Makes a policy.
    public init(maxRetries: Int, baseDelay: Double, maxDelay: Double) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Wait before retry number `retry` (0 = first retry): base * 2^retry capped at maxDelay, then "equal jitter"
    /// (half fixed, half uniform random), so clients that failed together do not retry in lockstep.
    public func backoff(retry: Int, using rng: inout SplitMix64) -> Double {
        let exp = min(maxDelay, baseDelay * Double(1 << min(retry, 30)))
        let unit = Double(rng.next() >> 11) / Double(1 << 53)
        return exp / 2 + unit * exp / 2
    }

    /// Whether an HTTP status deserves another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }

    /// Seconds from a `Retry-After` value in its delta-seconds form; nil for an HTTP date or garbage (the caller
    /// then uses its own backoff).
    public static func retryAfterSeconds(_ value: String?) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), let d = Double(v), d.isFinite, d >= 0 else {
            return nil
        }
        return d
    }
}
