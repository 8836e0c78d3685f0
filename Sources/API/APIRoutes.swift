import HTTP
import Logging

/// Collects an area's routes onto the server's `HTTPRouter`, wrapping every handler the same way: the API key
/// check on `/v1` routes, request metrics by route pattern and status, and turning a cancelled request (the
/// client left) into a quiet 499 rather than an error log. The list of registered routes is kept so a test can
/// compare it with openapi.yaml.
public struct APIRoutes {
    /// The router being filled.
    public private(set) var router = HTTPRouter()
    /// Every (method, pattern) registered, in order.
    public private(set) var registered: [(method: HTTPMethod, pattern: String)] = []
    let key: APIKey?
    let metrics: APIMetrics
    let logger: Logger

    init(key: APIKey?, metrics: APIMetrics, logger: Logger) {
        self.key = key
        self.metrics = metrics
        self.logger = logger
    }

    /// Registers an async handler (runs as a Swift task: it may await the engine for minutes). Routes under
    /// `/v1` require the API key when one is configured.
    public mutating func add(_ method: HTTPMethod, _ pattern: String,
                             _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        registered.append((method, pattern))
        let key = pattern.hasPrefix(APIModule.versionPrefix + "/") ? key : nil
        let metrics = metrics, logger = logger
        router.add(method, pattern) { request in
            let start = ContinuousClock.now
            let response: HTTPResponse
            do {
                if let key, !key.accepts(authorization: request.headers["Authorization"]) { throw APIKey.unauthorized }
                response = try await handler(request)
            } catch is CancellationError {
                response = HTTPResponse(error: Self.clientClosed)
            } catch {
                response = HTTPResponse(error: error)
                if !(error is HTTPError) {
                    logger.error("handler failed", metadata: ["request_id": "\(request.id)", "route": "\(pattern)",
                                                                                 "error": "\(error)"])
                }
            }
            Self.record(metrics, method: method, pattern: pattern, status: response.status.code, since: start)
            return response
        }
    }

    /// Registers a handler the event loop runs in place: only for answers that never block (health, metrics).
    /// Inline routes are never under `/v1` and need no key.
    public mutating func addInline(_ method: HTTPMethod, _ pattern: String,
                                   _ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) {
        precondition(!pattern.hasPrefix(APIModule.versionPrefix + "/"), "\(pattern): /v1 routes are async (they need the key check)")
        registered.append((method, pattern))
        let metrics = metrics
        router.addInline(method, pattern) { request in
            let start = ContinuousClock.now
            let response: HTTPResponse
            do { response = try handler(request) } catch { response = HTTPResponse(error: error) }
            Self.record(metrics, method: method, pattern: pattern, status: response.status.code, since: start)
            return response
        }
    }

    static func record(_ metrics: APIMetrics, method: HTTPMethod, pattern: String, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.requests.increment([pattern, method.rawValue, String(status)])
        metrics.requestSeconds.observe(seconds, [pattern, method.rawValue])
    }

    /// nginx's code for "the client closed the connection before the answer": nobody reads it, but access
    /// logs and metrics then tell such requests apart from failures.
    static let clientClosed = HTTPError(HTTPStatus(code: 499, reason: "Client Closed Request"), code: "client_closed",
                                        message: "the client closed the connection; the request was abandoned")
}
