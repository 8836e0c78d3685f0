import Testing
@testable import HTTP

/// Feeds `text` whole to a fresh parser.
private func parse(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPParseResult {
    var parser = HTTPRequestParser(limits: limits)
    return Array(text.utf8).withUnsafeBytes { parser.parse($0) }
}

/// Feeds growing prefixes of `text` one byte at a time, as a trickling client would, and returns the
/// first result that is not `.needMore` (or `.needMore` if none).
private func parseByteByByte(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> HTTPParseResult {
    var parser = HTTPRequestParser(limits: limits)
    let bytes = Array(text.utf8)
    for end in 1...bytes.count {
        let result = bytes[..<end].withUnsafeBytes { parser.parse($0) }
        if case .needMore = result { continue }
        return result
    }
    return .needMore
}

private func request(_ result: HTTPParseResult, sourceLocation: SourceLocation = #_sourceLocation) -> (HTTPRequest, Int)? {
    guard case .request(let request, let consumed) = result else {
        Issue.record("expected a request, got \(result)", sourceLocation: sourceLocation)
        return nil
    }
    return (request, consumed)
}

private func expectError(_ text: String, _ status: Int, _ code: String, limits: HTTPParserLimits = HTTPParserLimits(),
                         sourceLocation: SourceLocation = #_sourceLocation) {
    for result in [parse(text, limits: limits), parseByteByByte(text, limits: limits)] {
        guard case .error(let error) = result else {
            Issue.record("expected \(status) \(code), got \(result)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.status.code == status, sourceLocation: sourceLocation)
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(error.closesConnection, sourceLocation: sourceLocation)
    }
}

@Suite struct HTTPRequestParserTests {
    @Test func simpleGetIsParsed() throws {
        let text = "GET /v1/runs/42?verbose=1&x=%20y HTTP/1.1\r\nHost: example\r\nAccept:  */*  \r\n\r\n"
        guard let (req, consumed) = request(parse(text)) else { return }
        #expect(consumed == text.utf8.count)
        #expect(req.method == .GET)
        #expect(req.path == "/v1/runs/42")
        #expect(req.query == "verbose=1&x=%20y")
        #expect(req.version == .http1_1)
        #expect(req.headers["host"] == "example")
        #expect(req.headers["ACCEPT"] == "*/*")
        #expect(req.keepAlive)
        #expect(req.body.isEmpty)
    }

    @Test func byteByByteGivesTheSameRequest() throws {
        let text = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        guard let (req, consumed) = request(parseByteByByte(text)) else { return }
        #expect(consumed == text.utf8.count)
        #expect(req.body == Array("hello".utf8))
    }

    @Test func pipelinedRequestsAreConsumedOneAtATime() throws {
        let first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        let second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = HTTPRequestParser()
        let bytes = Array((first + second).utf8)
        guard let (a, used) = request(bytes.withUnsafeBytes { parser.parse($0) }) else { return }
        #expect(a.path == "/a")
        #expect(used == first.utf8.count)
        guard let (b, _) = request(bytes[used...].withUnsafeBytes { parser.parse($0) }) else { return }
        #expect(b.path == "/b")
    }

    @Test func leadingEmptyLinesAreIgnored() throws {
        guard let (req, _) = request(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) else { return }
        #expect(req.path == "/")
        // Found by the fuzzer: a CR arriving alone (half of a CRLF) is not yet an error.
        guard let (again, _) = request(parseByteByByte("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) else { return }
        #expect(again.path == "/")
    }

    @Test func theAnswerDoesNotDependOnHowBytesAreSplit() {
        // Found by the fuzzer: an over-long target followed by a bare LF was 414 in pieces, 400 whole.
        let limits = HTTPParserLimits(maxTargetBytes: 16)
        expectError("GET /" + String(repeating: "o", count: 40) + "\n", 414, "uri_too_long", limits: limits)
        let headLimits = HTTPParserLimits(maxHeaderBytes: 64)
        expectError("GET / HTTP/1.1\r\nX: " + String(repeating: "v", count: 80) + "\n", 431, "headers_too_large", limits: headLimits)
    }

    @Test func overlongMethodsAre400WhetherOrNotTheLineIsComplete() {
        let method = String(repeating: "M", count: 40)
        expectError("\(method) / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line")
        var parser = HTTPRequestParser()
        guard case .error(let error) = Array(method.utf8).withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("an overlong method must be rejected before the line ends")
            return
        }
        #expect(error.status.code == 400)
    }

    @Test func absoluteFormAndAsteriskTargets() throws {
        guard let (req, _) = request(parse("GET http://example.com/x/y?z=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")) else { return }
        #expect(req.path == "/x/y")
        #expect(req.query == "z=1")
        guard let (options, _) = request(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")) else { return }
        #expect(options.target == "*")
        expectError("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line")
        expectError("GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line")
    }

    @Test func connectionPersistenceFollowsVersionAndHeader() throws {
        #expect(request(parse("GET / HTTP/1.0\r\n\r\n"))?.0.keepAlive == false)
        #expect(request(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))?.0.keepAlive == true)
        #expect(request(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))?.0.keepAlive == false)
        #expect(request(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, CLOSE\r\n\r\n"))?.0.keepAlive == false)
        // A higher minor version is served with HTTP/1.1 semantics.
        #expect(request(parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n"))?.0.keepAlive == true)
    }

    @Test func http10RequestNeedsNoHost() throws {
        #expect(request(parse("GET / HTTP/1.0\r\n\r\n"))?.0.version == .http1_0)
    }

    // MARK: Request line (400, 414, 505)

    @Test(arguments: [
        "GET /\r\n\r\n",                              // no version
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",           // two spaces
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",           // trailing space
        "GET / http/1.1\r\nHost: h\r\n\r\n",            // lowercase protocol name
        "GET / HTTP/1.x\r\nHost: h\r\n\r\n",            // non-digit minor
        "GET / HTTP/11\r\nHost: h\r\n\r\n",             // missing dot
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",            // method with a separator
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",           // leading space
        "GET /a\u{7F}b HTTP/1.1\r\nHost: h\r\n\r\n",    // DEL in the target
        "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",         // space in the target
        "GET /caf\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n",   // non-ASCII in the target
    ])
    func malformedRequestLinesAre400(_ text: String) {
        expectError(text, 400, "malformed_request_line")
    }

    @Test func bareLineFeedsAndCarriageReturnsAre400() {
        expectError("GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "malformed_line_ending")
        expectError("GET / HTTP/1.1\r\nHost: h\n\n", 400, "malformed_line_ending")
        expectError("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "malformed_header_field")
    }

    @Test func unsupportedVersionsAre505() {
        expectError("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "unsupported_version")
        expectError("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505, "unsupported_version")
    }

    @Test func longTargetsAre414() {
        let limits = HTTPParserLimits(maxTargetBytes: 64)
        let long = "/" + String(repeating: "a", count: 100)
        expectError("GET \(long) HTTP/1.1\r\nHost: h\r\n\r\n", 414, "uri_too_long", limits: limits)
        // Still incomplete, already too long: rejected without waiting for the line's end.
        var parser = HTTPRequestParser(limits: limits)
        let partial = Array("GET /\(String(repeating: "b", count: 200))".utf8)
        guard case .error(let error) = partial.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("an over-long incomplete target must be rejected")
            return
        }
        #expect(error.status.code == 414)
    }

    // MARK: Header fields (400, 431)

    @Test func obsFoldIs400() {
        expectError("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  continued\r\n\r\n", 400, "obsolete_line_folding")
        expectError("GET / HTTP/1.1\r\n\tHost: h\r\n\r\n", 400, "obsolete_line_folding")
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",          // whitespace before the colon
        "GET / HTTP/1.1\r\nHost h\r\n\r\n",            // no colon
        "GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n",     // empty name
        "GET / HTTP/1.1\r\nHo(st: h\r\n\r\n",          // separator in the name
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", // NUL in a value
    ])
    func malformedFieldsAre400(_ text: String) {
        expectError(text, 400, "malformed_header_field")
    }

    @Test func hostIsRequiredOnceInHTTP11() {
        expectError("GET / HTTP/1.1\r\n\r\n", 400, "missing_host")
        expectError("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "invalid_host")
    }

    @Test func tooManyOrTooLargeHeadersAre431() {
        let limits = HTTPParserLimits(maxHeaderBytes: 256, maxHeaderCount: 5)
        let many = (0..<6).map { "X-\($0): v\r\n" }.joined()
        expectError("GET / HTTP/1.1\r\nHost: h\r\n\(many)\r\n", 431, "too_many_headers", limits: limits)
        let big = "X-Big: " + String(repeating: "v", count: 300) + "\r\n"
        expectError("GET / HTTP/1.1\r\nHost: h\r\n\(big)\r\n", 431, "headers_too_large", limits: limits)
        // Incomplete and already over the limit: no need to wait for the end.
        var parser = HTTPRequestParser(limits: limits)
        let partial = Array("GET / HTTP/1.1\r\nHost: h\r\n\(big)".utf8)
        guard case .error(let error) = partial.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("an over-long incomplete header section must be rejected")
            return
        }
        #expect(error.status.code == 431)
    }

    // MARK: Framing: Content-Length and Transfer-Encoding (400, 413, 501)

    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 5\r\n",  // repeated, even if equal
        "Content-Length: 5\r\nContent-Length: 6\r\n",  // conflicting
        "Content-Length: 5, 5\r\n",                    // list form
        "Content-Length: +5\r\n",
        "Content-Length: 0x5\r\n",
        "Content-Length: \r\n",
        "Content-Length: 1234567890123456789012\r\n",  // absurdly long
    ])
    func badContentLengthIs400(_ field: String) {
        expectError("POST / HTTP/1.1\r\nHost: h\r\n\(field)\r\nhello", 400, "invalid_content_length")
    }

    @Test func contentLengthWithTransferEncodingIs400() {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    400, "conflicting_framing")
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                    400, "conflicting_framing")
        expectError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "conflicting_framing")
    }

    @Test func transferCodingsOtherThanChunkedAre501() {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported_transfer_coding")
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported_transfer_coding")
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
                    501, "unsupported_transfer_coding")
    }

    @Test func doubleChunkedOrEmptyCodingIs400() {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "invalid_transfer_encoding")
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n", 400, "invalid_transfer_encoding")
    }

    @Test func bodiesOverTheLimitAre413() {
        let limits = HTTPParserLimits(maxBodyBytes: 10)
        expectError("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", 413, "body_too_large", limits: limits)
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n",
                    413, "body_too_large", limits: limits)
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 413, "body_too_large", limits: limits)
        #expect(request(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)) != nil)
    }

    // MARK: Chunked bodies

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let text = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "7 ; quoted=\"a b\"\r\n, world\r\n"
            + "0\r\nX-Checksum: 123\r\nX-Other: z\r\n\r\n"
            + "GET /next HTTP/1.1\r\n"
        for result in [parse(text), parseByteByByte(text)] {
            guard let (req, consumed) = request(result) else { return }
            #expect(String(decoding: req.body, as: UTF8.self) == "hello, world")
            #expect(req.trailers["x-checksum"] == "123")
            #expect(req.trailers.count == 2)
            #expect(consumed == text.utf8.count - "GET /next HTTP/1.1\r\n".utf8.count)
        }
    }

    @Test(arguments: [
        "zz\r\nhello\r\n0\r\n\r\n",         // not hex
        "5\r\nhelloXY0\r\n\r\n",             // data not followed by CRLF
        "5\nhello\r\n0\r\n\r\n",             // bare LF after the size
        "5 x\r\nhello\r\n0\r\n\r\n",          // junk after the size
        "5;a=\u{1}\r\nhello\r\n0\r\n\r\n",    // control byte in an extension
    ])
    func malformedChunksAre400(_ body: String) {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\(body)", 400, "malformed_chunked_body")
    }

    @Test func malformedTrailersAre400() {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n", 400, "malformed_header_field")
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n folded\r\n\r\n", 400, "obsolete_line_folding")
    }

    @Test func overlongChunkLineIs400() {
        let limits = HTTPParserLimits(maxChunkLineBytes: 32)
        expectError("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;" + String(repeating: "x", count: 64) + "\r\nhello\r\n0\r\n\r\n",
                    400, "malformed_chunked_body", limits: limits)
    }

    // MARK: Expect

    @Test func expectContinueIsReportedWhileTheBodyIsAwaited() {
        var parser = HTTPRequestParser()
        let head = Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n".utf8)
        guard case .needMore = head.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("the body is missing")
            return
        }
        #expect(parser.isReadingBody)
        #expect(parser.pendingExpectsContinue)
        let full = head + Array("abc".utf8)
        guard let (req, _) = request(full.withUnsafeBytes { parser.parse($0) }) else { return }
        #expect(req.expectsContinue)
        #expect(req.body == Array("abc".utf8))
    }

    @Test func otherExpectationsAre417() {
        expectError("POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx", 417, "expectation_failed")
    }
}
