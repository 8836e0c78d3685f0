/// Why an exchange produced no HTTP response. One error type for the module; each case says whether a retry can help.
public enum CurlClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request was malformed before any I/O (bad URL scheme, bad header); never worth retrying.
    case invalidRequest(String)
    /// Could not resolve, connect, send or receive (connection refused, reset, empty reply).
    case connection(String)
    /// The call's time limit (transfer) or deadline (queueing included) passed.
    case timeout(String)
    /// TLS handshake or certificate verification failed.
    case tls(String)
    /// The response body exceeded the client's size limit.
    case responseTooLarge(limit: Int)
    /// Any other libcurl failure, with its code and message.
    case transfer(code: Int, message: String)
    /// The client was shut down before the exchange completed.
    case shutdown

    /// True when the same request may succeed later (connection trouble, deadline, transient libcurl faults).
    public var isRetryable: Bool {
        switch self {
        case .connection, .timeout: return true
        case .invalidRequest, .tls, .responseTooLarge, .transfer, .shutdown: return false
        }
    }

    /// A one-line reason for logs and failure records.
    public var description: String {
        switch self {
        case .invalidRequest(let m): return "invalid request: \(m)"
        case .connection(let m): return "connection error: \(m)"
        case .timeout(let m): return "timeout: \(m)"
        case .tls(let m): return "TLS error: \(m)"
        case .responseTooLarge(let limit): return "response larger than \(limit) bytes"
        case .transfer(let code, let m): return "libcurl error \(code): \(m)"
        case .shutdown: return "client shut down"
        }
    }
}
