/// Requests-per-minute cap as a sliding window: a call may start when fewer than `limit` calls started in the
/// last 60 s. `reserve` books a start time and says how long to wait for it. Pure, so tests drive it with numbers.
struct RateLimiter: Sendable {
    let limit: Int
    let window: Double
    /// Start times booked within the window, ascending (a ring would avoid the shifts; the limit is small).
    private var starts: [Double] = []

    init(requestsPerMinute: Int, window: Double = 60) {
        limit = requestsPerMinute
        self.window = window
    }

    /// Seconds to wait before starting a call at `now` (0 when there is room); books that start time.
    mutating func reserve(now: Double) -> Double {
        guard limit > 0 else { return 0 }
        starts.removeAll { $0 <= now - window }
        let start = starts.count < limit ? now : max(now, starts[starts.count - limit] + window)
        starts.append(start)
        starts.sort()
        return start - now
    }
}
