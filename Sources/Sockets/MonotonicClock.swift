#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds since an arbitrary start, never going backwards: what timeouts are measured against.
/// A plain integer so connection state machines can be driven by a fake clock in tests.
public enum MonotonicClock {
    /// The current CLOCK_MONOTONIC time in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
