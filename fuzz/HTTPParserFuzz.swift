// libFuzzer target for HTTPRequestParser. Not a SwiftPM target: scripts/fuzz-http-parser.sh compiles
// it together with the parser's sources (swiftc -sanitize=fuzzer,address -parse-as-library).
//
// Checks, per input: no crash, no out-of-bounds access (debug preconditions and ASan), `consumed`
// within the input, and the same outcome whether the bytes arrive at once or in small pieces
// (the parser keeps state between calls, so this is where incremental bugs would show).

import Glibc

/// A comparable summary of what parsing a whole byte stream produced.
enum Outcome: Equatable {
    case request(method: String, target: String, path: String, query: String?, headers: Int, body: [UInt8],
                 trailers: Int, keepAlive: Bool, consumed: Int)
    case error(status: Int)
    case needMore
}

/// Small limits so that every limit is reachable by short inputs.
let limits = HTTPParserLimits(maxTargetBytes: 48, maxHeaderBytes: 300, maxHeaderCount: 6, maxBodyBytes: 200, maxChunkLineBytes: 24)

func summary(_ request: HTTPRequest, _ consumed: Int) -> Outcome {
    .request(method: request.method.rawValue, target: request.target, path: request.path, query: request.query,
             headers: request.headers.count, body: request.body, trailers: request.trailers.count,
             keepAlive: request.keepAlive, consumed: consumed)
}

/// Parses every request in `bytes`, handing the parser growing prefixes `step` bytes at a time.
func parseAll(_ bytes: UnsafeRawBufferPointer, step: Int) -> [Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [Outcome] = []
    var start = 0
    var end = min(bytes.count, step)
    while start < bytes.count {
        let window = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        switch parser.parse(window) {
        case .request(let request, let consumed):
            precondition(consumed > 0 && consumed <= window.count, "consumed \(consumed) of \(window.count)")
            outcomes.append(summary(request, consumed))
            start += consumed
            end = max(end, start)
            if end == start { end = min(bytes.count, start + step) }
        case .error(let error):
            precondition((400...599).contains(error.status.code))
            outcomes.append(.error(status: error.status.code))
            return outcomes
        case .needMore:
            if end == bytes.count {
                outcomes.append(.needMore)
                return outcomes
            }
            end = min(bytes.count, end + step)
        }
    }
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = parseAll(bytes, step: max(size, 1))
    let step = size == 0 ? 1 : 1 + Int(data[0] % 5)
    let pieces = parseAll(bytes, step: step)
    if whole != pieces {
        // -O drops precondition messages; print the evidence before crashing.
        fputs("MISMATCH\nwhole: \(whole)\npieces(\(step)): \(pieces)\n", stderr)
        fatalError("whole and piecewise parsing disagree")
    }
    return 0
}
