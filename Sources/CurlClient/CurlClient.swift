import CCurl

/// An HTTP/1.1 client on libcurl. All transfers share one curl multi handle driven by a dedicated thread, so
/// connections are reused across calls and no caller thread (or Swift cooperative-pool thread) ever blocks on I/O.
public final class CurlClient: HTTPTransport, @unchecked Sendable {
    /// Limits and TLS settings fixed for the client's lifetime.
    public struct Configuration: Sendable {
        /// Transfers running at once; more calls wait in a FIFO queue on the transfer thread, so a finished
        /// transfer is replaced without a round trip through the caller's tasks.
        public var maxConcurrent: Int
        /// Time limit for calls that set none.
        public var defaultTimeout: Duration
        /// Upper bound on connection establishment inside the call's time limit.
        public var connectTimeout: Duration
        /// Responses larger than this fail with `responseTooLarge` instead of growing memory without bound.
        public var maxResponseBytes: Int
        /// PEM file of CA certificates for https; nil uses the system store.
        public var caBundlePath: String?

        /// Defaults suited to reward judges: 32 concurrent calls, 30 s per call, 8 MiB responses.
        public init(maxConcurrent: Int = 32, defaultTimeout: Duration = .seconds(30),
                    connectTimeout: Duration = .seconds(10), maxResponseBytes: Int = 8 << 20,
                    caBundlePath: String? = nil) {
            self.maxConcurrent = maxConcurrent
            self.defaultTimeout = defaultTimeout
            self.connectTimeout = connectTimeout
            self.maxResponseBytes = maxResponseBytes
            self.caBundlePath = caBundlePath
        }
    }

    /// The settings this client was made with.
    public let configuration: Configuration
    private let loop: CurlMultiLoop

    /// Starts the transfer thread; throws when the configuration is unusable or libcurl cannot start.
    public init(configuration: Configuration = Configuration()) throws {
        guard configuration.maxConcurrent >= 1 else {
            throw CurlClientError.invalidRequest("maxConcurrent must be at least 1, got \(configuration.maxConcurrent)")
        }
        guard configuration.maxResponseBytes >= 1 else {
            throw CurlClientError.invalidRequest("maxResponseBytes must be at least 1")
        }
        try CurlGlobal.ensureInitialized()
        self.configuration = configuration
        self.loop = try CurlMultiLoop(configuration: configuration)
    }

    deinit {
        loop.stop()
    }

    /// Performs one exchange. Returns any HTTP status as a response; throws `CurlClientError` when none came,
    /// or `CancellationError` when the calling task is cancelled (the transfer is aborted).
    public func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw CurlClientError.invalidRequest("URL must start with http:// or https://: \(request.url.prefix(80))")
        }
        for h in request.headers where h.name.isEmpty || (h.name + h.value).contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw CurlClientError.invalidRequest("header name empty or containing a line break")
        }
        let transfer = CurlTransfer(request: request, timeout: request.timeout ?? configuration.defaultTimeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            transfer.cancelled.store(true, ordering: .releasing)
            loop.wakeForCancellation()
        }
    }

    /// Number of transfers queued or running; for metrics and tests.
    public var inFlight: Int { loop.inFlight }
}

/// `curl_global_init` must run once per process before any other libcurl call, and is not thread-safe itself.
enum CurlGlobal {
    private static let result: CURLcode = grao_global_init_default()

    static func ensureInitialized() throws {
        guard result == CURLE_OK else {
            throw CurlClientError.transfer(code: Int(result.rawValue), message: "curl_global_init failed")
        }
    }

    /// libcurl's version string, e.g. "libcurl/7.88.1 OpenSSL/3.0.x ...".
    static var version: String {
        guard let v = curl_version() else { return "unknown" }
        return String(cString: v)
    }
}

/// Process-wide libcurl facts.
public enum Curl {
    /// libcurl's version string (e.g. "libcurl/7.88.1 OpenSSL/3.0.x ..."), logged at start-up.
    public static var version: String { CurlGlobal.version }
}
