#if canImport(Glibc)
import Glibc
import CLinux
#endif

/// An eventfd another thread writes to so that an event loop blocked in epoll_wait wakes up
/// (a handler finished, shutdown was asked for). Signals coalesce: many signals, one wake-up.
public final class WakeUpSignal: Sendable {
    /// The eventfd, to register with a `Poller` for `.readable`.
    public let fd: Int32

    /// Creates a non-blocking eventfd.
    public init() throws(SocketError) {
        fd = try syscallChecked("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }
    }

    deinit { Glibc.close(fd) }

    /// Wakes the loop. Safe from any thread. A full counter (never in practice) still leaves it readable.
    public func signal() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    /// Resets the counter after a wake-up, so the fd stops being readable until the next signal.
    public func drain() {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }
}
