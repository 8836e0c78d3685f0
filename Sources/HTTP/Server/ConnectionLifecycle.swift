/// The timing side of one connection as a value-type state machine: events carry the current time
/// (nanoseconds, from whatever clock the caller uses), so tests drive it with plain numbers.
struct ConnectionLifecycle: Equatable {
    enum State: Equatable {
        /// Open, no byte of the next request yet. `fresh` = no request served yet on this connection.
        case waiting(fresh: Bool)
        /// Part of a request head has arrived.
        case readingHead
        /// The head is complete, the body is arriving.
        case readingBody
        /// A handler is producing the response (no read deadline: handlers may run for minutes).
        case handling
        /// The last response is out; waiting for the client's FIN before closing.
        case lingering
    }

    /// What to do when a deadline passed.
    enum TimeoutAction: Equatable {
        /// Close without a response (nothing was asked, or a response can no longer be written).
        case close
        /// Answer 408 Request Timeout, then close.
        case respond408
    }

    struct Timeouts: Equatable {
        var header: UInt64
        var body: UInt64
        var idle: UInt64
        var write: UInt64
        var linger: UInt64

        init(_ t: HTTPTimeouts) {
            header = t.header.nanoseconds
            body = t.body.nanoseconds
            idle = t.idle.nanoseconds
            write = t.write.nanoseconds
            linger = t.linger.nanoseconds
        }
    }

    private(set) var state: State
    /// When the current state expires (nil: no deadline).
    private(set) var deadline: UInt64?
    /// When blocked output expires; independent of the read side (a slow reader of a long stream).
    private(set) var writeDeadline: UInt64?
    let timeouts: Timeouts

    /// A just-accepted connection: it gets the header deadline to send its first byte.
    init(timeouts: Timeouts, now: UInt64) {
        self.timeouts = timeouts
        state = .waiting(fresh: true)
        deadline = now &+ timeouts.header
    }

    /// Bytes of a request head are buffered. Only the first call starts the header deadline, so a
    /// client that trickles bytes cannot push it back.
    mutating func headBytesArrived(now: UInt64) {
        if case .waiting(let fresh) = state {
            state = .readingHead
            // A fresh connection's deadline already counts from accept.
            if !fresh { deadline = now &+ timeouts.header }
        }
    }

    /// The head is complete and a body is awaited.
    mutating func headComplete(now: UInt64) {
        guard state != .readingBody else { return }
        state = .readingBody
        deadline = now &+ timeouts.body
    }

    /// A whole request was parsed and handed to its handler.
    mutating func requestComplete() {
        state = .handling
        deadline = nil
    }

    /// The response is finished. Keep-alive waits for the next request; otherwise linger and close.
    mutating func responseComplete(keepAlive: Bool, now: UInt64) {
        if keepAlive {
            state = .waiting(fresh: false)
            deadline = now &+ timeouts.idle
        } else {
            beginLingering(now: now)
        }
    }

    /// Starts the final wait for the client's FIN.
    mutating func beginLingering(now: UInt64) {
        state = .lingering
        deadline = now &+ timeouts.linger
    }

    /// The kernel refused more output (or took some of it): the client must keep reading.
    mutating func outputBlocked(now: UInt64, progressed: Bool) {
        if writeDeadline == nil || progressed { writeDeadline = now &+ timeouts.write }
    }

    /// All output is with the kernel.
    mutating func outputDrained() {
        writeDeadline = nil
    }

    /// What to do if a deadline passed at `now`, or nil.
    func timeoutAction(now: UInt64) -> TimeoutAction? {
        if let writeDeadline, now >= writeDeadline { return .close }
        guard let deadline, now >= deadline else { return nil }
        switch state {
        case .readingHead, .readingBody: return .respond408
        case .waiting, .handling, .lingering: return .close
        }
    }

    /// Whether nothing is in progress, so a shutting-down server may close the connection now.
    var isIdle: Bool {
        if case .waiting = state { return true }
        return false
    }
}
