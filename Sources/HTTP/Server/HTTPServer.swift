import Logging
import Sockets
import Synchronization

/// An HTTP/1.1 server on one event-loop thread (see `EventLoop` and docs/http.md). Start it, then
/// either `shutdown` it or let the process's signal handling do so; `waitUntilStopped` returns when
/// the loop has closed every connection.
public final class HTTPServer: Sendable {
    private enum Phase {
        case created
        case running(Mailbox)
        case stopped
    }

    private let configuration: HTTPServerConfiguration
    private let router: HTTPRouter
    private let logger: Logger
    private let state = Mutex<(phase: Phase, waiters: [CheckedContinuation<Void, Never>])>((.created, []))

    /// A server that will answer with `router`'s handlers and log through `logger`.
    public init(configuration: HTTPServerConfiguration, router: HTTPRouter, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    /// Raises the open-file limit, binds, and starts the event loop. Returns the bound port (useful
    /// with port 0). Throws when the address cannot be bound or the fd limit cannot fit
    /// `maxConnections`.
    @discardableResult
    public func start() throws(SocketError) -> UInt16 {
        let fresh = state.withLock { s -> Bool in
            if case .created = s.phase { return true }
            return false
        }
        guard fresh else { throw SocketError(call: "start", errno: 0, detail: "this server was already started") }
        let needed = configuration.fileDescriptorsNeeded
        let limit = try ResourceLimits.raiseOpenFiles(toAtLeast: needed)
        if limit < needed {
            throw SocketError(call: "setrlimit(RLIMIT_NOFILE)", errno: 0, detail:
                "max connections \(configuration.maxConnections) need \(needed) file descriptors but the limit is \(limit); "
                + "lower the connection limit or raise the hard limit (ulimit -Hn)")
        }
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        let listener = try Socket.makeListening(address: address, backlog: configuration.backlog)
        let port: UInt16
        let loop: EventLoop
        do throws(SocketError) {
            port = try listener.localPort()
            loop = try EventLoop(configuration: configuration, router: router, logger: logger, listener: listener) { [self] in
                markStopped()
            }
        } catch {
            listener.close()
            throw error
        }
        state.withLock { $0.phase = .running(loop.mailbox) }
        try LoopThread.spawn { loop.run() }
        logger.info("listening", metadata: ["address": "\(SocketAddress.describe(host: address.host, port: port))",
                                            "max_connections": "\(configuration.maxConnections)"])
        return port
    }

    /// Begins a graceful shutdown: stop accepting, finish in-flight requests for up to `gracePeriod`,
    /// then close everything. Returns at once; await `waitUntilStopped()` for completion.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        let mailbox: Mailbox? = state.withLock { s in
            if case .running(let mailbox) = s.phase { return mailbox }
            return nil
        }
        mailbox?.post(.shutdown(deadline: MonotonicClock.now() &+ gracePeriod.nanoseconds))
    }

    private func markStopped() {
        let waiters = state.withLock { s in
            s.phase = .stopped
            let waiting = s.waiters
            s.waiters = []
            return waiting
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the server has stopped (immediately if it never started).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if case .running = s.phase {
                    s.waiters.append(continuation)
                    return false
                }
                return true
            }
            if done { continuation.resume() }
        }
    }
}
