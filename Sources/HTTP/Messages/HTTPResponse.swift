/// A response a handler returns: status, headers and a body that is either all bytes at once or a
/// stream the handler writes over time (Server-Sent Events, long-running progress).
///
/// The server owns framing: `Content-Length`, `Transfer-Encoding` and `Connection` set by a handler are
/// ignored and written by the encoder from the body kind and the connection state.
public struct HTTPResponse: Sendable {
    /// How the body is produced.
    public enum Body: Sendable {
        /// A complete body, sent with `Content-Length`.
        case bytes([UInt8])
        /// A body written piece by piece by the closure, sent chunked (or close-delimited to
        /// HTTP/1.0 clients). Throwing aborts the connection, the only honest signal left after the
        /// status line went out.
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    /// The status line's code and reason.
    public var status: HTTPStatus
    /// Header fields other than framing ones.
    public var headers: HTTPHeaders
    /// The body.
    public var body: Body

    /// Builds a response.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already-encoded bytes.
    public static func json(_ bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes(bytes))
    }

    /// A JSON response from a string holding JSON text.
    public static func json(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        json(Array(text.utf8), status: status)
    }

    /// A plain-text response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    /// A Server-Sent Events stream (`text/event-stream`, not cached); `produce` writes events with
    /// `HTTPBodyWriter.sendEvent` until it returns.
    public static func eventStream(_ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
                     body: .stream(produce))
    }
}
