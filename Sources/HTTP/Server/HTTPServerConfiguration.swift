/// Everything a server instance is told at start-up. Each limit answers a specific abuse: see
/// docs/http.md for the reasoning behind the defaults.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind (IPv4/IPv6 literal or `localhost`).
    public var host: String
    /// Port to bind; 0 lets the kernel choose (tests), read it back from `HTTPServer.start()`.
    public var port: UInt16
    /// Parser limits (target, headers, body size).
    public var limits: HTTPParserLimits
    /// Connections served at once; connections beyond it are answered 503 and closed.
    public var maxConnections: Int
    /// Read/idle/write deadlines.
    public var timeouts: HTTPTimeouts
    /// listen(2) backlog: how many finished handshakes may wait for accept.
    public var backlog: Int32
    /// Cancel a running handler's task when its client closes its side of the connection (FIN). A client that
    /// closed usually left, and its queued work should be dropped (the API's model jobs); a client that only
    /// half-closed still gets whatever the handler answers despite the cancellation. Off by default: plain
    /// handlers keep RFC 9112's half-close semantics untouched.
    public var cancelsHandlersOnPeerClose: Bool

    /// A configuration with defaults: 127.0.0.1:8080, 16,384 connections.
    public init(host: String = "127.0.0.1", port: UInt16 = 8080, limits: HTTPParserLimits = HTTPParserLimits(),
                maxConnections: Int = 16_384, timeouts: HTTPTimeouts = HTTPTimeouts(), backlog: Int32 = 4096,
                cancelsHandlersOnPeerClose: Bool = false) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxConnections = maxConnections
        self.timeouts = timeouts
        self.backlog = backlog
        self.cancelsHandlersOnPeerClose = cancelsHandlersOnPeerClose
    }

    /// File descriptors the server needs: one per connection (plus rejected ones in flight) and a few
    /// for epoll, eventfd, the listener and the process's own files.
    var fileDescriptorsNeeded: Int { maxConnections + Self.rejectionSlots + 64 }

    /// Connections beyond the limit held just long enough to answer 503; past these they are closed unanswered.
    static let rejectionSlots = 256
}

/// Deadlines for each phase of a connection. The header deadline is total, counted from the first
/// byte of a request head: a client trickling one byte at a time (slowloris) cannot extend it.
public struct HTTPTimeouts: Sendable {
    /// From the first byte of a request to the end of its header section (408 on expiry).
    public var header: Duration
    /// From the end of the header section to the end of the body (408 on expiry).
    public var body: Duration
    /// How long an open connection may sit between requests (closed silently).
    public var idle: Duration
    /// How long a response may wait without the client reading any of it (closed).
    public var write: Duration
    /// After the last response of a closing connection, how long to wait for the client's FIN before
    /// closing anyway (so the response is not destroyed by a reset).
    public var linger: Duration

    /// Defaults: 10 s headers, 30 s body, 60 s idle, 30 s write, 2 s linger.
    public init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(60),
                write: Duration = .seconds(30), linger: Duration = .seconds(2)) {
        self.header = header
        self.body = body
        self.idle = idle
        self.write = write
        self.linger = linger
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (the loop's clock is a UInt64 nanosecond count).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ UInt64(attoseconds / 1_000_000_000)
    }
}
