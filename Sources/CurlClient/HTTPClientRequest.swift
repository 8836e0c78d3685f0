/// One HTTP header as sent or received; order and repeats are kept, names compare case-insensitively.
public struct HTTPHeader: Sendable, Equatable {
    /// Field name as written (e.g. "Content-Type").
    public var name: String
    /// Field value, without surrounding whitespace.
    public var value: String

    /// Makes a header from its name and value.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request for `CurlClient.send`: everything libcurl needs, as plain values, so callers never touch C.
public struct HTTPClientRequest: Sendable {
    /// HTTP method, upper case ("GET", "POST", ...).
    public var method: String
    /// Absolute `http://` or `https://` URL; other schemes are refused.
    public var url: String
    /// Request headers, sent in order.
    public var headers: [HTTPHeader]
    /// Request body; empty means none.
    public var body: [UInt8]
    /// Time limit for the exchange itself, from the moment its transfer starts (connect included); nil means the
    /// client's default. Time spent queued behind the concurrency cap does not count.
    public var timeout: Duration?
    /// Absolute limit covering queueing and transfer (e.g. a batch deadline); nil means none.
    public var deadline: ContinuousClock.Instant?

    /// Makes a request; the body defaults to empty and the limits to the client's defaults.
    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: [UInt8] = [],
                timeout: Duration? = nil, deadline: ContinuousClock.Instant? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.deadline = deadline
    }
}

/// What came back from a completed exchange; any status code is a response, not an error.
public struct HTTPClientResponse: Sendable {
    /// HTTP status code (200, 429, 503, ...).
    public var status: Int
    /// Response headers of the final response (interim 1xx responses are dropped).
    public var headers: [HTTPHeader]
    /// Response body bytes.
    public var body: [UInt8]

    /// Makes a response; used by the transport and by tests of code that consumes responses.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name (case-insensitive), e.g. `Retry-After`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// Anything that can carry an HTTP exchange; `CurlClient` is the real one. Reward judges take this so a test
/// of pure logic (e.g. the circuit breaker) can run without a socket.
public protocol HTTPTransport: Sendable {
    /// Performs one exchange; throws `CurlClientError` for transport failures, returns any HTTP status.
    func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse
}
