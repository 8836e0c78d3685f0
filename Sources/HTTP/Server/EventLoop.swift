import Logging
import Sockets

/// The server's single event-loop thread: it owns epoll, the listener and every `Connection`,
/// parses requests, runs inline handlers, encodes and writes responses. Async handlers run as
/// Swift tasks and hand results back through the `Mailbox`.
///
/// `@unchecked Sendable`: the instance is created on the starting thread and then used only by the
/// loop thread; the one cross-thread entry point is `mailbox`, which is itself thread-safe.
final class EventLoop: @unchecked Sendable {
    static let listenerToken = UInt64.max
    static let wakeUpToken = UInt64.max - 1
    /// Largest unsent output before stream writers wait.
    static let outputHighWater = 64 * 1024

    let configuration: HTTPServerConfiguration
    let router: HTTPRouter
    let logger: Logger
    let mailbox: Mailbox
    let poller: Poller
    var listener: Socket?
    let timeouts: ConnectionLifecycle.Timeouts
    let onStop: @Sendable () -> Void

    /// Connections indexed by fd (dense: fds are small integers).
    var connections: [Connection?] = []
    var connectionCount = 0
    var rejectedCount = 0
    var serial: UInt64 = 0
    /// One read buffer for every connection: requests are parsed in place and only leftovers are copied.
    let readBuffer: UnsafeMutableRawBufferPointer
    var date = HTTPDate()
    /// Set once shutdown began: the monotonic deadline for in-flight work.
    var drainDeadline: UInt64?
    var acceptPausedUntil: UInt64?
    var nextSweep: UInt64 = 0
    let sweepInterval: UInt64
    var requestCounter: UInt64
    let inputCapWhileBusy: Int

    init(configuration: HTTPServerConfiguration, router: HTTPRouter, logger: Logger, listener: Socket,
         onStop: @escaping @Sendable () -> Void) throws(SocketError) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.listener = listener
        self.onStop = onStop
        mailbox = try Mailbox()
        poller = try Poller(capacity: 1024)
        timeouts = ConnectionLifecycle.Timeouts(configuration.timeouts)
        let shortest = [timeouts.header, timeouts.body, timeouts.idle, timeouts.write, timeouts.linger].min()!
        sweepInterval = min(max(shortest / 8, 5_000_000), 250_000_000)
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        requestCounter = UInt64.random(in: 0..<(1 << 59))
        inputCapWhileBusy = configuration.limits.maxHeaderBytes + 64 * 1024
        try poller.add(fd: listener.fd, interest: .readable, token: Self.listenerToken)
        try poller.add(fd: mailbox.wakeUp.fd, interest: .readable, token: Self.wakeUpToken)
        date.refresh()
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Runs until shutdown completes. Called once, on the loop thread.
    func run() {
        while true {
            var now = MonotonicClock.now()
            if let deadline = drainDeadline, connectionCount + rejectedCount == 0 || now >= deadline { break }
            do {
                try poller.wait(timeoutMilliseconds: waitTimeout(now: now)) { token, events in
                    handleEvent(token: token, events: events)
                }
            } catch {
                logger.critical("event loop cannot wait for events", metadata: ["error": "\(error)"])
                break
            }
            date.refresh()
            now = MonotonicClock.now()
            if now >= nextSweep {
                sweep(now: now)
                nextSweep = now &+ sweepInterval
            }
            if let until = acceptPausedUntil, now >= until, let listener {
                acceptPausedUntil = nil
                try? poller.add(fd: listener.fd, interest: .readable, token: Self.listenerToken)
            }
        }
        tearDown()
    }

    private func waitTimeout(now: UInt64) -> Int32 {
        if connectionCount + rejectedCount == 0 && acceptPausedUntil == nil && drainDeadline == nil { return -1 }
        let until = nextSweep > now ? nextSweep - now : 0
        return Int32(min(until / 1_000_000 + 1, 1000))
    }

    private func handleEvent(token: UInt64, events: PollEvents) {
        switch token {
        case Self.listenerToken:
            acceptConnections()
        case Self.wakeUpToken:
            handleMessages()
        default:
            let fd = Int(UInt32(truncatingIfNeeded: token))
            guard fd < connections.count, let connection = connections[fd],
                  UInt32(truncatingIfNeeded: connection.key.serial) == UInt32(truncatingIfNeeded: token >> 32) else { return }
            let now = MonotonicClock.now()
            // An error, or a hang-up after the client's FIN was already seen: nothing more can be
            // delivered, and level-triggered epoll would keep reporting it.
            if events.contains(.error) || (events.contains(.hangup) && connection.peerClosed) {
                close(connection)
                return
            }
            if !events.isDisjoint(with: [.readable, .hangup]) {
                onReadable(connection, now: now)
            }
            if !connection.closed && events.contains(.writable) {
                flush(connection, now: now)
            }
        }
    }

    /// Accepts every queued connection (bounded per wake-up so the loop stays fair).
    private func acceptConnections() {
        guard let listener else { return }
        let now = MonotonicClock.now()
        for _ in 0..<256 {
            let socket: Socket
            do {
                switch try listener.accept() {
                case .wouldBlock: return
                case .done(let accepted): socket = accepted
                }
            } catch {
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM {
                    // Out of descriptors: stop accepting for a moment instead of spinning on a full backlog.
                    logger.warning("accept paused", metadata: ["error": "\(error)"])
                    poller.remove(fd: listener.fd)
                    acceptPausedUntil = now &+ 100_000_000
                    return
                }
                continue  // ECONNABORTED and friends: that one client is gone, try the next
            }
            let rejected = connectionCount >= configuration.maxConnections
            if rejected && rejectedCount >= HTTPServerConfiguration.rejectionSlots {
                socket.close()
                continue
            }
            try? socket.setNoDelay()
            serial &+= 1
            let connection = Connection(socket: socket, serial: serial, limits: configuration.limits,
                                        lifecycle: ConnectionLifecycle(timeouts: timeouts, now: now), rejected: rejected)
            do {
                try poller.add(fd: socket.fd, interest: .readable, token: connection.token)
            } catch {
                socket.close()
                continue
            }
            let fd = Int(socket.fd)
            if fd >= connections.count { connections.append(contentsOf: repeatElement(nil, count: fd + 1 - connections.count + 1024)) }
            connections[fd] = connection
            if rejected { rejectedCount += 1 } else { connectionCount += 1 }
        }
    }

    /// Closes the connection now, failing anything still waiting on it.
    func close(_ connection: Connection) {
        guard !connection.closed else { return }
        connection.closed = true
        poller.remove(fd: connection.socket.fd)
        connection.socket.close()
        connections[Int(connection.socket.fd)] = nil
        if connection.rejected { rejectedCount -= 1 } else { connectionCount -= 1 }
        connection.task?.cancel()
        connection.task = nil
        let waiters = connection.writeWaiters
        connection.writeWaiters = []
        for waiter in waiters { waiter.resume(throwing: HTTPBodyWriter.Closed()) }
    }

    /// Applies deadlines to every connection, and closes idle ones while draining.
    private func sweep(now: UInt64) {
        for slot in connections.indices {
            guard let connection = connections[slot] else { continue }
            if let action = connection.lifecycle.timeoutAction(now: now) {
                switch action {
                case .close:
                    close(connection)
                case .respond408:
                    respondWithError(connection, HTTPError(.requestTimeout, code: "request_timeout",
                                                           message: "the request did not arrive in time", closesConnection: true), now: now)
                    flush(connection, now: now)
                }
            } else if drainDeadline != nil && isQuiet(connection) {
                close(connection)
            }
        }
    }

    private func isQuiet(_ connection: Connection) -> Bool {
        connection.lifecycle.isIdle && !connection.busy && connection.pendingOutput == 0 && connection.input.isEmpty
    }

    /// Starts a graceful shutdown: no new connections, idle ones closed, busy ones finish by the deadline.
    private func beginDrain(deadline: UInt64) {
        guard drainDeadline == nil else { return }
        drainDeadline = deadline
        if let listener {
            poller.remove(fd: listener.fd)
            listener.close()
            self.listener = nil
        }
        logger.info("shutting down", metadata: ["open_connections": "\(connectionCount)"])
        for slot in connections.indices {
            if let connection = connections[slot], isQuiet(connection) { close(connection) }
        }
    }

    private func tearDown() {
        for slot in connections.indices {
            if let connection = connections[slot] { close(connection) }
        }
        for message in mailbox.close() {
            if case .chunk(_, _, let continuation) = message { continuation.resume(throwing: HTTPBodyWriter.Closed()) }
        }
        if let listener {
            listener.close()
            self.listener = nil
        }
        onStop()
    }

    private func handleMessages() {
        for message in mailbox.takeAll() {
            let now = MonotonicClock.now()
            switch message {
            case .shutdown(let deadline):
                beginDrain(deadline: deadline)
            case .response(let key, let response):
                guard let connection = lookup(key), connection.busy, !connection.streaming else { continue }
                connection.busy = false
                connection.task = nil
                send(response, on: connection, now: now)
                resumeAfterResponse(connection, now: now)
            case .chunk(let key, let bytes, let continuation):
                guard let connection = lookup(key), connection.streaming else {
                    continuation.resume(throwing: HTTPBodyWriter.Closed())
                    continue
                }
                writeStreamChunk(bytes, on: connection, continuation: continuation, now: now)
            case .streamEnd(let key, let failed):
                guard let connection = lookup(key), connection.streaming else { continue }
                if failed {
                    close(connection)
                    continue
                }
                endStream(on: connection, now: now)
                resumeAfterResponse(connection, now: now)
            }
        }
    }

    func lookup(_ key: ConnectionKey) -> Connection? {
        let fd = Int(key.fd)
        guard fd < connections.count, let connection = connections[fd], connection.key.serial == key.serial else { return nil }
        return connection
    }
}

#if canImport(Glibc)
import Glibc
#endif
