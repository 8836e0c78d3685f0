extension HTTPRequestParser {
    enum ChunkOutcome {
        case needMore
        case error(HTTPError)
        case done(end: Int)
    }

    /// Decodes as much of a chunked body (RFC 9112 §7.1) as `bytes` holds, appending data to the
    /// request body and remembering the position in `progress`. Chunk extensions are checked for
    /// forbidden bytes and ignored; trailer fields are kept in `request.trailers`.
    func decodeChunks(_ bytes: UnsafeRawBufferPointer, _ progress: inout BodyProgress) -> ChunkOutcome {
        let count = bytes.count
        while true {
            if progress.cursor - progress.headLength > limits.maxChunkedWireBytes {
                return .error(Self.bodyTooLarge(limits, detail: "chunk framing exceeds \(limits.maxChunkedWireBytes) bytes"))
            }
            switch progress.chunkState {
            case .sizeLine:
                let searchEnd = min(count, progress.cursor + limits.maxChunkLineBytes + 2)
                guard let lf = Self.find(ASCII.lf, in: bytes, from: progress.cursor, to: searchEnd) else {
                    if count - progress.cursor > limits.maxChunkLineBytes + 1 {
                        return .error(.badRequest("malformed_chunked_body", "a chunk-size line exceeds \(limits.maxChunkLineBytes) bytes"))
                    }
                    return .needMore
                }
                guard lf > progress.cursor, bytes[lf - 1] == ASCII.cr else {
                    return .error(.badRequest("malformed_chunked_body", "a chunk-size line does not end with CRLF"))
                }
                let size: Int
                switch parseChunkSize(bytes, progress.cursor..<(lf - 1), bodySoFar: progress.head.body.count) {
                case .failure(let error): return .error(error)
                case .success(let parsed): size = parsed
                }
                progress.cursor = lf + 1
                progress.chunkState = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let available = count - progress.cursor
                if available == 0 { return .needMore }
                let take = min(available, remaining)
                progress.head.body.append(contentsOf: bytes[progress.cursor..<(progress.cursor + take)])
                progress.cursor += take
                progress.chunkState = take == remaining ? .dataEnd : .data(remaining: remaining - take)
            case .dataEnd:
                let available = count - progress.cursor
                if available >= 1 && bytes[progress.cursor] != ASCII.cr || available >= 2 && bytes[progress.cursor + 1] != ASCII.lf {
                    return .error(.badRequest("malformed_chunked_body", "chunk data is not followed by CRLF"))
                }
                if available < 2 { return .needMore }
                progress.cursor += 2
                progress.chunkState = .sizeLine
            case .trailers:
                let allowance = limits.maxHeaderBytes - progress.trailerBytes
                let searchEnd = min(count, progress.cursor + allowance + 1)
                guard let lf = Self.find(ASCII.lf, in: bytes, from: progress.cursor, to: searchEnd) else {
                    if count - progress.cursor > allowance { return .error(Self.headersTooLarge(limits)) }
                    return .needMore
                }
                guard lf > progress.cursor, bytes[lf - 1] == ASCII.cr else {
                    return .error(.badRequest("malformed_chunked_body", "a trailer line does not end with CRLF"))
                }
                if lf - 1 == progress.cursor { return .done(end: lf + 1) }
                if progress.head.trailers.count == limits.maxHeaderCount {
                    return .error(HTTPError(.requestHeaderFieldsTooLarge, code: "too_many_headers",
                                            message: "more than \(limits.maxHeaderCount) trailer fields", closesConnection: true))
                }
                switch Self.parseFieldLine(bytes, start: progress.cursor, end: lf - 1) {
                case .failure(let error): return .error(error)
                case .success(let (name, value)):
                    progress.head.trailers.add(name: Self.string(bytes, name), value: Self.string(bytes, value))
                }
                progress.trailerBytes += lf + 1 - progress.cursor
                progress.cursor = lf + 1
            }
        }
    }

    /// chunk-size [ chunk-ext ]: hex digits, then optionally BWS ";" extensions without control bytes.
    private func parseChunkSize(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>, bodySoFar: Int) -> Result<Int, HTTPError> {
        var size = 0
        var i = line.lowerBound
        while i < line.upperBound, let value = Self.hexValue(bytes[i]) {
            size = size * 16 + Int(value)
            // Checked per digit, so the running value can never overflow.
            if bodySoFar + size > limits.maxBodyBytes {
                return .failure(Self.bodyTooLarge(limits, detail: "a chunk takes the body past the limit"))
            }
            i += 1
        }
        guard i > line.lowerBound else {
            return .failure(.badRequest("malformed_chunked_body", "a chunk-size line does not start with hex digits"))
        }
        var j = i
        while j < line.upperBound, bytes[j] == ASCII.space || bytes[j] == ASCII.tab { j += 1 }
        if j < line.upperBound && bytes[j] != UInt8(ascii: ";") {
            return .failure(.badRequest("malformed_chunked_body", "unexpected byte after the chunk size"))
        }
        for k in j..<line.upperBound where !ASCII.isFieldValueChar[Int(bytes[k])] {
            return .failure(.badRequest("malformed_chunked_body", "a chunk extension contains a control byte"))
        }
        return .success(size)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func bodyTooLarge(_ limits: HTTPParserLimits, detail: String) -> HTTPError {
        HTTPError(.contentTooLarge, code: "body_too_large",
                  message: "the body exceeds the limit of \(limits.maxBodyBytes) bytes (\(detail))", closesConnection: true)
    }
}
