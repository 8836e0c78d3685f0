/// Stops calling a judge that keeps failing, then lets one probe through after a cool-down.
/// closed --(threshold consecutive failures)--> open --(cooldown elapsed)--> half-open (one probe in flight)
/// half-open --probe succeeds--> closed; half-open --probe fails--> open again. Times come from the caller.
public struct CircuitBreaker: Sendable, Equatable {
    /// Where the breaker stands.
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: Double)
        case halfOpen(probeInFlight: Bool)
    }

    /// Consecutive failures that open the breaker.
    public let threshold: Int
    /// Seconds to stay open before probing.
    public let cooldown: Double
    /// Current state.
    public private(set) var state: State = .closed(consecutiveFailures: 0)
    /// How many times the breaker has opened (for metrics).
    public private(set) var openings = 0

    /// Makes a closed breaker.
    public init(threshold: Int, cooldown: Double) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    /// Whether a call may go out now; in half-open state only the first caller gets through (the probe).
    public mutating func allowRequest(now: Double) -> Bool {
        switch state {
        case .closed: return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(probeInFlight: true)
            return true
        case .halfOpen(let probing):
            if probing { return false }
            state = .halfOpen(probeInFlight: true)
            return true
        }
    }

    /// The judge answered usefully.
    public mutating func recordSuccess() {
        state = .closed(consecutiveFailures: 0)
    }

    /// The judge failed (connection, timeout or 5xx).
    public mutating func recordFailure(now: Double) {
        switch state {
        case .closed(let n):
            if n + 1 >= threshold { trip(now) } else { state = .closed(consecutiveFailures: n + 1) }
        case .halfOpen:
            trip(now)
        case .open:
            break
        }
    }

    /// A probe that was allowed but never sent (e.g. the call was abandoned): let the next caller probe instead.
    public mutating func cancelProbe() {
        if case .halfOpen(true) = state { state = .halfOpen(probeInFlight: false) }
    }

    private mutating func trip(_ now: Double) {
        state = .open(until: now + cooldown)
        openings += 1
    }
}
