import CCurl
import Foundation
import Synchronization

/// One exchange in flight: the request, its limits, the bytes received so far, and the continuation to resume.
/// After `submit`, every field except `cancelled` belongs to the transfer thread.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPClientRequest
    /// Limit on the transfer once started.
    let timeout: Duration
    /// Set by the caller's cancellation handler; read by the transfer thread.
    let cancelled = Atomic<Bool>(false)
    var continuation: CheckedContinuation<HTTPClientResponse, any Error>?

    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var maxBytes = 0
    var overflowed = false
    /// libcurl writes its detailed message here (CURL_ERROR_SIZE bytes).
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init(request: HTTPClientRequest, timeout: Duration) {
        self.request = request
        self.timeout = timeout
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    /// Resumes the caller exactly once; later calls are ignored.
    func finish(_ result: Result<HTTPClientResponse, any Error>) {
        guard let c = continuation else { return }
        continuation = nil
        c.resume(with: result)
    }

    /// Sets every option on a fresh or reset easy handle. Throws `invalidRequest` when libcurl refuses one.
    func configure(_ easy: UnsafeMutableRawPointer, configuration: CurlClient.Configuration,
                   remainingMs: Int) throws {
        self.easy = easy
        maxBytes = configuration.maxResponseBytes
        let me = Unmanaged.passUnretained(self).toOpaque()
        func check(_ code: CURLcode, _ what: String) throws {
            guard code == CURLE_OK else {
                throw CurlClientError.invalidRequest("\(what): \(String(cString: curl_easy_strerror(code)))")
            }
        }
        try check(grao_easy_setopt_str(easy, CURLOPT_URL, request.url), "URL")
        // Only http(s): a judge URL must never read local files or speak other protocols.
        try check(grao_easy_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(grao_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(grao_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, remainingMs)), "timeout")
        let connectMs = Int(configuration.connectTimeout.components.seconds * 1000
            + configuration.connectTimeout.components.attoseconds / 1_000_000_000_000_000)
        try check(grao_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(connectMs, remainingMs))), "connect timeout")
        try check(grao_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try check(grao_easy_setopt_datacb(easy, CURLOPT_WRITEFUNCTION, curlWriteBody), "write callback")
        try check(grao_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, me), "write data")
        try check(grao_easy_setopt_datacb(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader), "header callback")
        try check(grao_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, me), "header data")
        if let ca = configuration.caBundlePath {
            try check(grao_easy_setopt_str(easy, CURLOPT_CAINFO, ca), "CA bundle")
        }
        switch request.method {
        case "GET" where request.body.isEmpty:
            try check(grao_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "GET")
        default:
            if request.method != "POST" {
                try check(grao_easy_setopt_str(easy, CURLOPT_CUSTOMREQUEST, request.method), "method")
            }
            try check(grao_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)), "body size")
            try request.body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS copies, so the Swift array need not outlive this call; an empty body still needs a
                // valid pointer.
                var empty: UInt8 = 0
                let ptr = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? withUnsafeMutablePointer(to: &empty) { UnsafeMutableRawPointer($0) }
                try check(grao_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, ptr), "body")
            }
        }
        // "Expect:" with no value stops libcurl from waiting for 100-continue on larger bodies.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for h in request.headers {
            list = curl_slist_append(list, "\(h.name): \(h.value)")
        }
        headerList = list
        try check(grao_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers")
    }

    /// Turns libcurl's outcome into a response or a typed error.
    func outcome(code: CURLcode) -> Result<HTTPClientResponse, any Error> {
        if code == CURLE_OK {
            var status = 0
            if let easy { grao_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) }
            return .success(HTTPClientResponse(status: status, headers: headers, body: body))
        }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let error: CurlClientError
        switch code {
        case CURLE_WRITE_ERROR where overflowed: error = .responseTooLarge(limit: maxBytes)
        case CURLE_OPERATION_TIMEDOUT: error = .timeout(detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR,
             CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            error = .connection(detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            error = .tls(detail)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: error = .invalidRequest(detail)
        default: error = .transfer(code: Int(code.rawValue), message: detail)
        }
        return .failure(error)
    }

    /// Clears per-exchange state so the easy handle can go back to the pool.
    func releaseHeaders() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
    }
}

/// CURLOPT_WRITEFUNCTION: append body bytes; returning less than asked aborts the transfer (size limit).
private func curlWriteBody(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                           _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let ptr, let userdata else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    guard t.body.count + n <= t.maxBytes else {
        t.overflowed = true
        return 0
    }
    ptr.withMemoryRebound(to: UInt8.self, capacity: n) { t.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    return n
}

/// CURLOPT_HEADERFUNCTION: one header line per call, status lines included; a new status line starts a new
/// response (interim 1xx), so earlier headers are dropped.
private func curlWriteHeader(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                             _ userdata: UnsafeMutableRawPointer?) -> Int {
    guard let ptr, let userdata else { return 0 }
    let t = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    let line = ptr.withMemoryRebound(to: UInt8.self, capacity: n) {
        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        t.headers.removeAll()
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespacesAndNewlines)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if t.headers.count < 256 { t.headers.append(HTTPHeader(String(name), String(value))) }
    }
    return n
}
