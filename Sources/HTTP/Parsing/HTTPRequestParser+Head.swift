#if canImport(Glibc)
import Glibc
#endif

extension HTTPRequestParser {
    enum HeadOutcome {
        case needMore
        case error(HTTPError)
        case head(HTTPRequest, headLength: Int, framing: Framing)
    }

    /// Finds the end of the header section (the first empty line), enforcing the size limits while
    /// the section is incomplete, then parses it. Rescans at most the last unterminated line.
    mutating func parseHeadSection(_ bytes: UnsafeRawBufferPointer) -> HeadOutcome {
        let count = bytes.count
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line
        // (some clients send CRLF after a POST body). We ignore up to four.
        var start = 0
        while start + 1 < count, bytes[start] == ASCII.cr, bytes[start + 1] == ASCII.lf {
            start += 2
            if start > 8 { return .error(.badRequest("malformed_request_line", "too many empty lines before the request line")) }
        }
        // A lone CR may be the first half of one more empty line.
        if count - start == 1 && bytes[start] == ASCII.cr { return .needMore }
        var lineStart = max(headScanFrom, start)
        var requestLineEnd = -1  // offset of the CR ending the request line, once seen
        if lineStart > start { requestLineEnd = findRequestLineEnd(bytes, start: start) }
        while true {
            let lf = Self.find(ASCII.lf, in: bytes, from: lineStart, to: count)
            // Checks run on what is known so far in the same order whether the bytes came in one read
            // or many, so the answer never depends on how the client's bytes were split: first the
            // request line as far as it goes, then the size limit, then the line ending.
            let known = lf ?? count
            if requestLineEnd < 0, case .failure(let error) = parseRequestLine(bytes, start: start, end: known, complete: false) {
                return .error(error)
            }
            if known - start > limits.maxHeaderBytes { return .error(Self.headersTooLarge(limits)) }
            guard let lf else {
                headScanFrom = lineStart
                return .needMore
            }
            guard lf > lineStart, bytes[lf - 1] == ASCII.cr else {
                return .error(.badRequest("malformed_line_ending", "a line ends with a bare LF at byte \(lf); lines must end with CRLF"))
            }
            if requestLineEnd < 0 {
                requestLineEnd = lf - 1
                if case .failure(let error) = parseRequestLine(bytes, start: start, end: requestLineEnd, complete: true) {
                    return .error(error)
                }
            } else if lf - 1 == lineStart {
                headScanFrom = 0
                return parseHead(bytes, start: start, requestLineEnd: requestLineEnd, headEnd: lf + 1)
            }
            if lf + 1 - start > limits.maxHeaderBytes { return .error(Self.headersTooLarge(limits)) }
            lineStart = lf + 1
        }
    }

    private func findRequestLineEnd(_ bytes: UnsafeRawBufferPointer, start: Int) -> Int {
        guard let lf = Self.find(ASCII.lf, in: bytes, from: start, to: bytes.count) else { return -1 }
        return lf - 1
    }

    static func headersTooLarge(_ limits: HTTPParserLimits) -> HTTPError {
        HTTPError(.requestHeaderFieldsTooLarge, code: "headers_too_large",
                  message: "the header section exceeds \(limits.maxHeaderBytes) bytes", closesConnection: true)
    }

    /// Parses a complete header section: request line in `start..<requestLineEnd`, fields up to `headEnd`.
    private func parseHead(_ bytes: UnsafeRawBufferPointer, start: Int, requestLineEnd: Int, headEnd: Int) -> HeadOutcome {
        let line: (method: HTTPMethod, target: String, version: HTTPVersion)
        switch parseRequestLine(bytes, start: start, end: requestLineEnd, complete: true) {
        case .success(let parsed?): line = parsed
        case .success(nil): return .error(.badRequest("malformed_request_line", "the request line is incomplete"))
        case .failure(let error): return .error(error)
        }
        var semantics = FieldSemantics()
        var headers: [HTTPHeaders.Field] = []
        var lineStart = requestLineEnd + 2
        let fieldsEnd = headEnd - 2
        while lineStart < fieldsEnd {
            let lineEnd = Self.find(ASCII.lf, in: bytes, from: lineStart, to: fieldsEnd)! - 1
            if headers.count == limits.maxHeaderCount {
                return .error(HTTPError(.requestHeaderFieldsTooLarge, code: "too_many_headers",
                                        message: "more than \(limits.maxHeaderCount) header fields", closesConnection: true))
            }
            switch Self.parseFieldLine(bytes, start: lineStart, end: lineEnd) {
            case .failure(let error): return .error(error)
            case .success(let (name, value)):
                if let error = semantics.observe(bytes, name: name, value: value, limits: limits) { return .error(error) }
                headers.append((Self.string(bytes, name), Self.string(bytes, value)))
            }
            lineStart = lineEnd + 2
        }
        let framing: Framing
        switch semantics.resolve(version: line.version, limits: limits) {
        case .failure(let error): return .error(error)
        case .success(let resolved): framing = resolved
        }
        var request = HTTPRequest(method: line.method, target: line.target, version: line.version,
                                  headers: HTTPHeaders(headers), keepAlive: semantics.keepAlive(line.version),
                                  expectsContinue: semantics.expectsContinue && line.version.isAtLeast1_1)
        if let error = Self.normalizeTarget(&request) { return .error(error) }
        return .head(request, headLength: headEnd, framing: framing)
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), in `start..<end`.
    /// With `complete: false` the line is still arriving: the prefix is checked by the same rules and
    /// `.success(nil)` means "fine so far". Methods are limited to 32 bytes, targets to the limit (414).
    func parseRequestLine(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int, complete: Bool)
        -> Result<(method: HTTPMethod, target: String, version: HTTPVersion)?, HTTPError>
    {
        let malformed = HTTPError.badRequest("malformed_request_line", "the request line is not: method SP target SP HTTP/<digit>.<digit>")
        var i = start
        while i < end, ASCII.isTokenChar[Int(bytes[i])] { i += 1 }
        if i - start > Self.maxMethodBytes {
            return .failure(.badRequest("malformed_request_line", "the method is longer than \(Self.maxMethodBytes) bytes"))
        }
        if i == end && !complete { return .success(nil) }
        guard i > start, i < end, bytes[i] == ASCII.space else { return .failure(malformed) }
        let methodEnd = i
        i += 1
        let targetStart = i
        while i < end, bytes[i] > 0x20, bytes[i] < 0x7F { i += 1 }
        if i - targetStart > limits.maxTargetBytes {
            return .failure(HTTPError(.uriTooLong, code: "uri_too_long",
                                      message: "the request-target exceeds \(limits.maxTargetBytes) bytes", closesConnection: true))
        }
        if i == end && !complete { return .success(nil) }
        guard i > targetStart, i < end, bytes[i] == ASCII.space else { return .failure(malformed) }
        let targetEnd = i
        i += 1
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, exactly 8 bytes (plus the CR while incomplete).
        if !complete {
            return end - i <= 8 || (end - i == 9 && bytes[end - 1] == ASCII.cr) ? .success(nil) : .failure(malformed)
        }
        guard end - i == 8, Self.matches(bytes, at: i, "HTTP/"), bytes[i + 6] == UInt8(ascii: "."),
              let major = Self.digit(bytes[i + 5]), let minor = Self.digit(bytes[i + 7]) else {
            return .failure(malformed)
        }
        guard major == 1 else {
            return .failure(HTTPError(.httpVersionNotSupported, code: "unsupported_version",
                                      message: "HTTP/\(major).\(minor) is not supported; use HTTP/1.1", closesConnection: true))
        }
        return .success((HTTPMethod(rawValue: Self.string(bytes, start..<methodEnd)),
                         Self.string(bytes, targetStart..<targetEnd), HTTPVersion(major: major, minor: minor)))
    }

    static let maxMethodBytes = 32

    /// Origin-form is used as is; absolute-form (`http://host/p?q`, RFC 9112 §3.2.2) is reduced to its
    /// path and query; `*` is only for OPTIONS; authority-form (CONNECT) is not served.
    private static func normalizeTarget(_ request: inout HTTPRequest) -> HTTPError? {
        let target = request.target
        if target.utf8.first == UInt8(ascii: "/") { return nil }
        if target == "*" {
            return request.method == .OPTIONS ? nil
                : .badRequest("malformed_request_line", "the asterisk target is only allowed with OPTIONS")
        }
        let lower = target.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else {
                request.path = "/"
                request.query = nil
                return nil
            }
            let pathAndQuery = String(rest[slash...])
            let normalized = HTTPRequest(method: request.method, target: pathAndQuery.hasPrefix("?") ? "/" + pathAndQuery : pathAndQuery)
            request.path = normalized.path
            request.query = normalized.query
            return nil
        }
        return .badRequest("malformed_request_line", "the request-target must be a path, an absolute http(s) URI, or *")
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). Returns the name and trimmed value ranges.
    static func parseFieldLine(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Result<(Range<Int>, Range<Int>), HTTPError> {
        let first = bytes[start]
        if first == ASCII.space || first == ASCII.tab {
            return .failure(.badRequest("obsolete_line_folding", "a header line starts with whitespace (obs-fold is not accepted)"))
        }
        var i = start
        while i < end, ASCII.isTokenChar[Int(bytes[i])] { i += 1 }
        guard i < end, bytes[i] == ASCII.colon, i > start else {
            if i < end, bytes[i] == ASCII.space || bytes[i] == ASCII.tab {
                return .failure(.badRequest("malformed_header_field", "whitespace between a header name and its colon"))
            }
            return .failure(.badRequest("malformed_header_field", "a header line is not a token name followed by a colon"))
        }
        let name = start..<i
        var valueStart = i + 1
        var valueEnd = end
        while valueStart < valueEnd, bytes[valueStart] == ASCII.space || bytes[valueStart] == ASCII.tab { valueStart += 1 }
        while valueEnd > valueStart, bytes[valueEnd - 1] == ASCII.space || bytes[valueEnd - 1] == ASCII.tab { valueEnd -= 1 }
        for j in valueStart..<valueEnd where !ASCII.isFieldValueChar[Int(bytes[j])] {
            return .failure(.badRequest("malformed_header_field",
                                        "header '\(string(bytes, name))' has a control character (byte \(bytes[j])) in its value"))
        }
        return .success((name, valueStart..<valueEnd))
    }

    // MARK: Byte helpers

    static func find(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        let text = literal.utf8Start
        for k in 0..<count where bytes[offset + k] != text[k] { return false }
        return true
    }

    /// Case-insensitive comparison of `bytes[range]` with a lowercase literal.
    static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let text = literal.utf8Start
        for k in 0..<range.count where ASCII.lower(bytes[range.lowerBound + k]) != text[k] { return false }
        return true
    }

    static func digit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
