/// A complete, parsed request: head fields, the de-chunked body, and what the server adds
/// (the request id and the route's path parameters).
public struct HTTPRequest: Sendable {
    /// The method token.
    public var method: HTTPMethod
    /// The request-target exactly as sent (origin-form `/a/b?x=1`, absolute-form or `*`).
    public var target: String
    /// The path part of the target, still percent-encoded.
    public var path: String
    /// The raw query after `?`, or nil when there is none.
    public var query: String?
    /// The client's protocol version.
    public var version: HTTPVersion
    /// Header fields in order.
    public var headers: HTTPHeaders
    /// The body bytes after removing any chunked framing.
    public var body: [UInt8]
    /// Trailer fields of a chunked body (kept apart from headers: they arrive after the body).
    public var trailers: HTTPHeaders
    /// Whether the connection may stay open after the response (version default and `Connection`).
    public var keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue`.
    public var expectsContinue: Bool
    /// Values captured by `{name}` segments of the matched route.
    public var pathParameters: [String: String]
    /// The request id: the client's `X-Request-Id` when valid, else one the server made.
    public var id: String

    /// Builds a request; the parser and tests use it.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                body: [UInt8] = [], trailers: HTTPHeaders = [:], keepAlive: Bool = true, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.utf8.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        pathParameters = [:]
        id = ""
    }
}
