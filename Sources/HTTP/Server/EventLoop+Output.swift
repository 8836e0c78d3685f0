import Logging
import Sockets

extension EventLoop {
    /// Encodes `response` for the connection's current exchange into its output buffer. Byte bodies
    /// complete the exchange at once; a stream starts its producer task.
    func send(_ response: HTTPResponse, on connection: Connection, now: UInt64, forceClose: Bool = false) {
        guard var exchange = connection.exchange else { return }
        // A half-closed client (peerClosed) still gets every pipelined answer; the connection closes
        // once nothing is left to answer (see resumeAfterResponse and handlePeerClosed).
        var keepAlive = exchange.keepAlive && !forceClose && drainDeadline == nil
        exchange.status = response.status.code
        let noBody = response.status.forbidsBody
        switch response.body {
        case .bytes(let body):
            HTTPResponseEncoder.appendHead(response, framing: noBody ? .none : .length(body.count), keepAlive: keepAlive,
                                           clientIsHTTP10: exchange.clientIsHTTP10, requestID: exchange.requestID,
                                           date: date.bytes, to: &connection.output)
            if !exchange.isHEAD && !noBody {
                connection.output.append(contentsOf: body)
                exchange.bodyBytes = body.count
            }
            complete(connection, exchange, keepAlive: keepAlive, now: now)
        case .stream(let produce):
            let chunked = !exchange.clientIsHTTP10
            keepAlive = keepAlive && chunked
            HTTPResponseEncoder.appendHead(response, framing: chunked ? .chunked : .closeDelimited, keepAlive: keepAlive,
                                           clientIsHTTP10: exchange.clientIsHTTP10, requestID: exchange.requestID,
                                           date: date.bytes, to: &connection.output)
            if exchange.isHEAD || noBody {
                if chunked && !exchange.isHEAD { connection.output.append(contentsOf: HTTPResponseEncoder.lastChunk) }
                complete(connection, exchange, keepAlive: keepAlive, now: now)
                return
            }
            exchange.keepAlive = keepAlive
            connection.exchange = exchange
            connection.busy = true
            connection.streaming = true
            connection.streamChunked = chunked
            let writer = HTTPBodyWriter(key: connection.key, mailbox: mailbox)
            let mailbox = mailbox
            let key = connection.key
            connection.task = Task {
                do {
                    try await produce(writer)
                    mailbox.post(.streamEnd(key, failed: false))
                } catch {
                    mailbox.post(.streamEnd(key, failed: true))
                }
            }
        }
    }

    /// Appends one piece of a streamed body; the producer continues once the output is small enough.
    func writeStreamChunk(_ bytes: [UInt8], on connection: Connection, continuation: CheckedContinuation<Void, any Error>, now: UInt64) {
        if connection.streamChunked {
            HTTPResponseEncoder.appendChunk(bytes, to: &connection.output)
        } else {
            connection.output.append(contentsOf: bytes)
        }
        connection.exchange?.bodyBytes += bytes.count
        flush(connection, now: now)
        if connection.closed {
            continuation.resume(throwing: HTTPBodyWriter.Closed())
        } else if connection.pendingOutput < Self.outputHighWater {
            continuation.resume()
        } else {
            connection.writeWaiters.append(continuation)
        }
    }

    /// Ends a streamed body that finished normally.
    func endStream(on connection: Connection, now: UInt64) {
        guard let exchange = connection.exchange else { return }
        if connection.streamChunked { connection.output.append(contentsOf: HTTPResponseEncoder.lastChunk) }
        connection.streaming = false
        connection.busy = false
        connection.task = nil
        let keepAlive = exchange.keepAlive && drainDeadline == nil
        complete(connection, exchange, keepAlive: keepAlive, now: now)
    }

    /// After an async response or stream: write it, then serve requests that were pipelined meanwhile.
    func resumeAfterResponse(_ connection: Connection, now: UInt64) {
        flush(connection, now: now)
        guard !connection.closed else { return }
        processBufferedInput(connection, now: now)
        guard !connection.closed else { return }
        if connection.peerClosed && !connection.busy { connection.closeAfterFlush = true }
        connection.readPaused = false
        flush(connection, now: now)
    }

    /// Finishes an exchange: access log, then keep-alive or close-after-flush.
    private func complete(_ connection: Connection, _ exchange: Connection.Exchange, keepAlive: Bool, now: UInt64) {
        if logger.logLevel <= .info {
            let end = MonotonicClock.now()
            let millis = Double(end >= exchange.started ? end - exchange.started : 0) / 1e6
            logger.info("request", metadata: [
                "request_id": "\(exchange.requestID)", "method": "\(exchange.method)", "path": "\(exchange.path)",
                "status": "\(exchange.status)", "bytes": "\(exchange.bodyBytes)",
                "duration_ms": "\((millis * 1000).rounded() / 1000)",
            ])
        }
        connection.exchange = nil
        if keepAlive {
            connection.lifecycle.responseComplete(keepAlive: true, now: now)
        } else {
            connection.closeAfterFlush = true
        }
    }

    /// Writes pending output with one send per attempt; registers for writability when the kernel is
    /// full. Once drained: wakes stream writers, and starts closing if this was the last response.
    func flush(_ connection: Connection, now: UInt64) {
        guard !connection.closed else { return }
        var progressed = false
        while connection.pendingOutput > 0 {
            let result: IOResult<Int>
            do {
                result = try connection.output.withUnsafeBytes { raw throws(SocketError) in
                    try connection.socket.write(UnsafeRawBufferPointer(rebasing: raw[connection.outputStart...]))
                }
            } catch {
                close(connection)
                return
            }
            switch result {
            case .done(let written):
                connection.outputStart += written
                progressed = true
            case .wouldBlock:
                connection.lifecycle.outputBlocked(now: now, progressed: progressed)
                if connection.pendingOutput < Self.outputHighWater { resumeWriters(connection) }
                updateInterest(connection)
                return
            }
        }
        if connection.output.capacity > 256 * 1024 {
            connection.output = []
        } else {
            connection.output.removeAll(keepingCapacity: true)
        }
        connection.outputStart = 0
        connection.lifecycle.outputDrained()
        resumeWriters(connection)
        if connection.closeAfterFlush && !connection.busy && connection.lifecycle.state != .lingering {
            beginLingeringClose(connection, now: now)
            return
        }
        updateInterest(connection)
    }

    private func resumeWriters(_ connection: Connection) {
        guard !connection.writeWaiters.isEmpty else { return }
        let waiters = connection.writeWaiters
        connection.writeWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Sends our FIN but keeps reading until the client's FIN (or the linger deadline): closing with
    /// unread input would make the kernel send a reset that can destroy the response in flight.
    private func beginLingeringClose(_ connection: Connection, now: UInt64) {
        if connection.peerClosed {
            close(connection)
            return
        }
        connection.socket.shutdownWrite()
        connection.input = []
        connection.lifecycle.beginLingering(now: now)
        connection.readPaused = false
        updateInterest(connection)
    }

    /// Keeps the epoll registration in line with what the connection is waiting for.
    func updateInterest(_ connection: Connection) {
        guard !connection.closed else { return }
        var wanted: PollEvents = []
        let lingering = connection.lifecycle.state == .lingering
        if lingering || (!connection.readPaused && !connection.peerClosed) { wanted.insert(.readable) }
        if !lingering && connection.pendingOutput > 0 { wanted.insert(.writable) }
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        do {
            try poller.modify(fd: connection.socket.fd, interest: wanted, token: connection.token)
        } catch {
            close(connection)
        }
    }
}
