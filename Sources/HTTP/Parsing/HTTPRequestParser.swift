#if canImport(Glibc)
import Glibc
#endif

/// What one call to the parser found.
public enum HTTPParseResult: Sendable {
    /// A complete request occupying the first `consumed` bytes of the input.
    case request(HTTPRequest, consumed: Int)
    /// The input holds only part of a request; call again with the same bytes plus more.
    case needMore
    /// The bytes are not an acceptable request; answer with the error and close (RFC 9112 §9.6:
    /// after a framing error the rest of the stream is not trustworthy).
    case error(HTTPError)
}

/// An incremental HTTP/1.1 request parser (RFC 9112) that never touches a socket: feed it the
/// connection's unconsumed bytes (always starting at the current request's first byte, growing
/// between calls) and it answers request / need-more / error. It remembers how far it got, so
/// a request that trickles in byte by byte is scanned once, not quadratically.
///
/// Line endings must be CRLF: a bare LF or CR is rejected (RFC 9112 §2.2 allows either choice; the
/// strict one closes a request-smuggling door).
public struct HTTPRequestParser: Sendable {
    /// The limits in force.
    public let limits: HTTPParserLimits

    enum Framing: Sendable, Equatable {
        case none
        case length(Int)
        case chunked
    }

    enum ChunkState: Sendable, Equatable {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    struct BodyProgress: Sendable {
        var head: HTTPRequest
        var headLength: Int
        var framing: Framing
        var cursor: Int
        var chunkState: ChunkState = .sizeLine
        var trailerBytes = 0
    }

    /// Offset from which to continue looking for the end of the header section.
    var headScanFrom = 0
    private var body: BodyProgress?

    /// A parser with the given limits.
    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Whether the header section of the current request has been parsed and the body is awaited
    /// (the server switches from the header deadline to the body deadline, and may send 100 Continue).
    public var isReadingBody: Bool { body != nil }

    /// Whether the request whose body is awaited asked for `100 Continue`.
    public var pendingExpectsContinue: Bool { body?.head.expectsContinue ?? false }

    /// Parses from the start of `bytes`. After `.request` or `.error` the parser is reset for the next
    /// request; after `.needMore` call again with the same bytes extended.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        if body == nil {
            switch parseHeadSection(bytes) {
            case .needMore: return .needMore
            case .error(let error): return finish(.error(error))
            case .head(let request, let headLength, let framing):
                body = BodyProgress(head: request, headLength: headLength, framing: framing, cursor: headLength)
            }
        }
        return continueBody(bytes)
    }

    /// Forgets any partial request (the connection dropped its buffer).
    public mutating func reset() {
        headScanFrom = 0
        body = nil
    }

    private mutating func finish(_ result: HTTPParseResult) -> HTTPParseResult {
        reset()
        return result
    }

    private mutating func continueBody(_ bytes: UnsafeRawBufferPointer) -> HTTPParseResult {
        guard var progress = body else { return .needMore }
        body = nil  // keep `progress` the only owner of the growing body array (no copy-on-write copies)
        switch progress.framing {
        case .none:
            return finish(.request(progress.head, consumed: progress.headLength))
        case .length(let length):
            let end = progress.headLength + length
            guard bytes.count >= end else {
                body = progress
                return .needMore
            }
            progress.head.body = Array(bytes[progress.headLength..<end])
            return finish(.request(progress.head, consumed: end))
        case .chunked:
            let outcome = decodeChunks(bytes, &progress)
            switch outcome {
            case .needMore:
                body = progress
                return .needMore
            case .error(let error):
                return finish(.error(error))
            case .done(let end):
                return finish(.request(progress.head, consumed: end))
            }
        }
    }
}

extension HTTPError {
    /// A 400 for a framing or syntax problem; always closes the connection.
    static func badRequest(_ code: String, _ message: String) -> HTTPError {
        HTTPError(.badRequest, code: code, message: message, closesConnection: true)
    }
}
