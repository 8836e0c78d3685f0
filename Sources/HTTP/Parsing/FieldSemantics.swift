/// What the header fields that affect message framing and connection handling said, collected
/// while parsing and checked once at the end (RFC 9112 §6 for framing, §9 for Connection).
struct FieldSemantics {
    var contentLength: Int?
    var hostCount = 0
    var transferCodingSeen = false
    var chunkedCount = 0
    var lastCodingIsChunked = false
    var unknownCoding: String?
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false

    /// Looks at one field; returns an error as soon as one is certain.
    mutating func observe(_ bytes: UnsafeRawBufferPointer, name: Range<Int>, value: Range<Int>, limits: HTTPParserLimits) -> HTTPError? {
        typealias P = HTTPRequestParser
        if P.equalsLowercase(bytes, name, "content-length") {
            // Repeated or list-valued Content-Length is rejected outright, even when the values agree:
            // intermediaries disagree on such messages, which is how requests get smuggled.
            guard contentLength == nil else {
                return .badRequest("invalid_content_length", "Content-Length appears more than once")
            }
            guard !value.isEmpty, value.count <= 18 else {
                return .badRequest("invalid_content_length", "Content-Length is empty or longer than 18 digits")
            }
            var length = 0
            for i in value {
                guard let d = P.digit(bytes[i]) else {
                    return .badRequest("invalid_content_length", "Content-Length is not a decimal number")
                }
                length = length * 10 + Int(d)
            }
            if length > limits.maxBodyBytes {
                return HTTPError(.contentTooLarge, code: "body_too_large",
                                 message: "the body of \(length) bytes exceeds the limit of \(limits.maxBodyBytes) bytes", closesConnection: true)
            }
            contentLength = length
        } else if P.equalsLowercase(bytes, name, "transfer-encoding") {
            transferCodingSeen = true
            forEachListElement(bytes, value) { element in
                if P.equalsLowercase(bytes, element, "chunked") {
                    chunkedCount += 1
                    lastCodingIsChunked = true
                } else {
                    if unknownCoding == nil { unknownCoding = P.string(bytes, element) }
                    lastCodingIsChunked = false
                }
            }
        } else if P.equalsLowercase(bytes, name, "host") {
            hostCount += 1
        } else if P.equalsLowercase(bytes, name, "connection") {
            forEachListElement(bytes, value) { element in
                if P.equalsLowercase(bytes, element, "close") { connectionClose = true }
                if P.equalsLowercase(bytes, element, "keep-alive") { connectionKeepAlive = true }
            }
        } else if P.equalsLowercase(bytes, name, "expect") {
            guard P.equalsLowercase(bytes, value, "100-continue") else {
                return HTTPError(.expectationFailed, code: "expectation_failed",
                                 message: "only 'Expect: 100-continue' is supported", closesConnection: true)
            }
            expectsContinue = true
        }
        return nil
    }

    /// The body framing, or the error the combination of fields calls for.
    func resolve(version: HTTPVersion, limits: HTTPParserLimits) -> Result<HTTPRequestParser.Framing, HTTPError> {
        if hostCount > 1 {
            return .failure(.badRequest("invalid_host", "Host appears more than once"))
        }
        if hostCount == 0 && version.isAtLeast1_1 {
            return .failure(.badRequest("missing_host", "an HTTP/1.1 request must carry a Host header"))
        }
        if transferCodingSeen {
            if contentLength != nil {
                return .failure(.badRequest("conflicting_framing", "both Content-Length and Transfer-Encoding are present"))
            }
            if !version.isAtLeast1_1 {
                return .failure(.badRequest("conflicting_framing", "Transfer-Encoding is not allowed in an HTTP/1.0 request"))
            }
            if chunkedCount == 0 && unknownCoding == nil {
                return .failure(.badRequest("invalid_transfer_encoding", "Transfer-Encoding is empty"))
            }
            if chunkedCount > 1 {
                return .failure(.badRequest("invalid_transfer_encoding", "chunked is applied more than once"))
            }
            if let coding = unknownCoding {
                return .failure(HTTPError(.notImplemented, code: "unsupported_transfer_coding",
                                          message: "transfer coding '\(coding)' is not supported; only chunked is", closesConnection: true))
            }
            return .success(.chunked)
        }
        if let length = contentLength, length > 0 { return .success(.length(length)) }
        return .success(.none)
    }

    /// HTTP/1.1 is persistent unless `close`; HTTP/1.0 only with `keep-alive` (RFC 9112 §9.3).
    func keepAlive(_ version: HTTPVersion) -> Bool {
        if connectionClose { return false }
        return version.isAtLeast1_1 || connectionKeepAlive
    }

    /// Calls `body` with each non-empty, OWS-trimmed element of a comma-separated list (RFC 9110 §5.6.1).
    private func forEachListElement(_ bytes: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void) {
        var i = value.lowerBound
        while i <= value.upperBound {
            var j = i
            while j < value.upperBound, bytes[j] != UInt8(ascii: ",") { j += 1 }
            var a = i, b = j
            while a < b, bytes[a] == ASCII.space || bytes[a] == ASCII.tab { a += 1 }
            while b > a, bytes[b - 1] == ASCII.space || bytes[b - 1] == ASCII.tab { b -= 1 }
            if a < b { body(a..<b) }
            i = j + 1
        }
    }
}
