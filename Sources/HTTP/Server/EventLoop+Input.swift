import Logging
import Sockets

extension EventLoop {
    /// Reads what the socket has and parses every complete request in it.
    func onReadable(_ connection: Connection, now: UInt64) {
        if connection.lifecycle.state == .lingering {
            discardUntilEOF(connection)
            return
        }
        for _ in 0..<16 {
            if connection.busy && connection.input.count >= inputCapWhileBusy {
                connection.readPaused = true
                break
            }
            let result: IOResult<Int>
            do {
                result = try connection.socket.read(into: readBuffer)
            } catch {
                close(connection)
                return
            }
            guard case .done(let count) = result else { break }
            if count == 0 {
                connection.peerClosed = true
                break
            }
            let bytes = UnsafeRawBufferPointer(rebasing: readBuffer[0..<count])
            if connection.input.isEmpty && !connection.busy {
                let consumed = process(connection, bytes, now: now)
                if connection.closed { return }
                if consumed < count { connection.input.append(contentsOf: bytes[consumed...]) }
            } else {
                connection.input.append(contentsOf: bytes)
                processBufferedInput(connection, now: now)
                if connection.closed { return }
            }
            if count < readBuffer.count { break }
        }
        if connection.peerClosed { handlePeerClosed(connection, now: now) }
        if !connection.closed { flush(connection, now: now) }
    }

    /// Parses requests out of the connection's own buffer (leftovers and pipelined requests).
    func processBufferedInput(_ connection: Connection, now: UInt64) {
        guard !connection.input.isEmpty, !connection.busy else { return }
        let consumed = connection.input.withUnsafeBytes { process(connection, $0, now: now) }
        if connection.closed { return }
        connection.input.removeFirst(min(consumed, connection.input.count))
    }

    /// Parses and dispatches requests from `bytes` until one needs a handler task, the bytes end, or
    /// the connection must close. Returns how many bytes were used; the rest starts the next request.
    private func process(_ connection: Connection, _ bytes: UnsafeRawBufferPointer, now: UInt64) -> Int {
        var offset = 0
        while !connection.busy && !connection.closeAfterFlush && !connection.closed && offset < bytes.count {
            switch connection.parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore:
                if connection.parser.isReadingBody {
                    connection.lifecycle.headComplete(now: now)
                    if connection.rejected {
                        respondWithError(connection, Self.overloaded, now: now)
                        return bytes.count
                    }
                    if connection.parser.pendingExpectsContinue && !connection.sentContinue {
                        connection.sentContinue = true
                        connection.output.append(contentsOf: HTTPResponseEncoder.continueResponse)
                    }
                } else {
                    connection.lifecycle.headBytesArrived(now: now)
                }
                return offset
            case .error(let error):
                respondWithError(connection, error, now: now)
                return bytes.count
            case .request(let request, let consumed):
                offset += consumed
                connection.sentContinue = false
                dispatch(request, on: connection, now: now)
            }
        }
        return offset
    }

    static let overloaded = HTTPError(.serviceUnavailable, code: "too_many_connections",
                                      message: "the server is at its connection limit; retry later", closesConnection: true)

    /// Routes a parsed request: inline handlers answer now, async ones get a task.
    private func dispatch(_ request: HTTPRequest, on connection: Connection, now: UInt64) {
        connection.lifecycle.requestComplete()
        var request = request
        request.id = requestID(for: request)
        connection.exchange = Connection.Exchange(
            method: request.method, path: request.path, requestID: request.id, keepAlive: request.keepAlive,
            isHEAD: request.method == .HEAD, clientIsHTTP10: !request.version.isAtLeast1_1, started: now)
        if connection.rejected {
            send(HTTPResponse(error: Self.overloaded), on: connection, now: now, forceClose: true)
            return
        }
        switch router.match(request.method, path: request.path) {
        case .notFound:
            send(HTTPResponse(error: HTTPError(.notFound, code: "not_found", message: "no route for \(request.path)")),
                 on: connection, now: now)
        case .methodNotAllowed(let allowed):
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            send(HTTPResponse(error: HTTPError(.methodNotAllowed, code: "method_not_allowed",
                                               message: "\(request.method) is not allowed on \(request.path); allowed: \(allow)",
                                               headers: ["Allow": allow])),
                 on: connection, now: now)
        case .found(let route, let parameters):
            request.pathParameters = parameters
            switch route {
            case .inline(let handler):
                let response: HTTPResponse
                do {
                    response = try handler(request)
                } catch {
                    response = Self.errorResponse(error, requestID: request.id, logger: logger)
                }
                send(response, on: connection, now: now)
            case .async(let handler):
                connection.busy = true
                let key = connection.key
                let mailbox = mailbox
                let logger = logger
                connection.task = Task {
                    let response: HTTPResponse
                    do {
                        response = try await handler(request)
                    } catch {
                        response = Self.errorResponse(error, requestID: request.id, logger: logger)
                    }
                    mailbox.post(.response(key, response))
                }
            }
        }
    }

    /// Turns a handler's error into its response, logging errors that are not deliberate HTTP errors.
    static func errorResponse(_ error: any Error, requestID: String, logger: Logger) -> HTTPResponse {
        if !(error is HTTPError) {
            logger.error("handler failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
        }
        return HTTPResponse(error: error)
    }

    /// Answers a request that could not be parsed (or timed out) and closes after the response.
    func respondWithError(_ connection: Connection, _ error: HTTPError, now: UInt64) {
        connection.lifecycle.requestComplete()
        connection.parser.reset()
        if connection.exchange == nil {
            connection.exchange = Connection.Exchange(
                method: HTTPMethod(rawValue: "-"), path: "-", requestID: nextRequestID(), keepAlive: false,
                isHEAD: false, clientIsHTTP10: false, started: now)
        }
        send(HTTPResponse(error: error), on: connection, now: now, forceClose: true)
    }

    /// The client finished sending. Requests already received are still answered (a half-closed
    /// client waits for them); then the connection closes.
    private func handlePeerClosed(_ connection: Connection, now: UInt64) {
        guard !connection.closed else { return }
        if connection.busy && configuration.cancelsHandlersOnPeerClose {
            connection.task?.cancel()
        }
        if connection.busy || connection.pendingOutput > 0 {
            connection.closeAfterFlush = connection.closeAfterFlush || !connection.busy
            updateInterest(connection)
            return
        }
        close(connection)
    }

    /// Reads and drops bytes after our last response, until the client's FIN or the linger deadline.
    private func discardUntilEOF(_ connection: Connection) {
        for _ in 0..<4 {
            switch try? connection.socket.read(into: readBuffer) {
            case .done(let count) where count > 0: continue
            case .wouldBlock: return
            default:
                close(connection)
                return
            }
        }
    }

    /// The client's `X-Request-Id` when it is short and plain, else a new one.
    private func requestID(for request: HTTPRequest) -> String {
        if let given = request.headers["X-Request-Id"], (1...128).contains(given.utf8.count),
           given.utf8.allSatisfy({ ASCII.isTokenChar[Int($0)] || $0 == UInt8(ascii: ":") }) {
            return given
        }
        return nextRequestID()
    }

    /// 15 hex digits from a counter with a random start: unique per process, and short enough to
    /// stay a small inline string (no allocation).
    func nextRequestID() -> String {
        requestCounter &+= 1
        return String(requestCounter & 0x0FFF_FFFF_FFFF_FFFF, radix: 16)
    }
}
