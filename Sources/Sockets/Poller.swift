#if canImport(Glibc)
import Glibc
import CLinux
#endif

/// Readiness kinds, as the event loop sees them (a thin view of EPOLLIN/EPOLLOUT/EPOLLHUP/EPOLLERR).
public struct PollEvents: OptionSet, Sendable {
    /// The epoll event bits.
    public let rawValue: UInt32
    /// Wraps epoll event bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Data to read, or end of stream.
    public static let readable = PollEvents(rawValue: EPOLLIN.rawValue)
    /// Room in the send buffer.
    public static let writable = PollEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer hung up both directions.
    public static let hangup = PollEvents(rawValue: EPOLLHUP.rawValue)
    /// An error is pending on the socket.
    public static let error = PollEvents(rawValue: EPOLLERR.rawValue)
}

/// An epoll instance, level-triggered. Each registration carries a 64-bit token the caller chooses
/// (the server packs the fd and a connection serial into it). Owned by one thread.
public final class Poller {
    /// The epoll descriptor.
    public let fd: Int32
    private let events: UnsafeMutablePointer<epoll_event>
    private let capacity: Int

    /// Creates an epoll instance that returns at most `capacity` events per wait.
    public init(capacity: Int = 1024) throws(SocketError) {
        fd = try syscallChecked("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        self.capacity = max(1, capacity)
        events = .allocate(capacity: self.capacity)
    }

    deinit {
        events.deallocate()
        Glibc.close(fd)
    }

    /// Starts watching `fd` for `interest`.
    public func add(fd watched: Int32, interest: PollEvents, token: UInt64) throws(SocketError) {
        try control(EPOLL_CTL_ADD, watched, interest, token, name: "epoll_ctl(ADD)")
    }

    /// Changes what `fd` is watched for.
    public func modify(fd watched: Int32, interest: PollEvents, token: UInt64) throws(SocketError) {
        try control(EPOLL_CTL_MOD, watched, interest, token, name: "epoll_ctl(MOD)")
    }

    /// Stops watching `fd` (closing the fd also does this; call it before close for clarity).
    public func remove(fd watched: Int32) {
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, watched, nil)
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever) and calls `body(token, events)` per ready fd.
    /// Returns the number of events.
    @discardableResult
    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64, PollEvents) -> Void) throws(SocketError) -> Int {
        let count: Int32
        switch try syscall("epoll_wait", { epoll_wait(fd, events, Int32(capacity), timeoutMilliseconds) }) {
        case .done(let n): count = n
        case .wouldBlock: count = 0
        }
        for i in 0..<Int(count) {
            let event = events[i]
            body(event.data.u64, PollEvents(rawValue: event.events))
        }
        return Int(count)
    }

    private func control(_ op: Int32, _ watched: Int32, _ interest: PollEvents, _ token: UInt64, name: String) throws(SocketError) {
        var event = epoll_event()
        event.events = interest.rawValue
        event.data.u64 = token
        _ = try syscallChecked(name) { epoll_ctl(fd, op, watched, &event) }
    }
}
