/// Turns token bytes into text as they arrive, holding back a UTF-8 character that a token boundary split (an emoji
/// or CJK character often spans several byte tokens) until its remaining bytes come. Bytes that can never become a
/// valid character are emitted as U+FFFD right away, so one bad byte cannot stall the stream.
public struct StreamingDecoder: Sendable {
    private var pending: [UInt8] = []

    /// An empty decoder.
    public init() {}

    /// Appends `bytes` and returns the text that is now complete.
    public mutating func append(_ bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is held back, with U+FFFD for an unfinished character: call at the end of the stream.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// True when bytes are held back waiting for the rest of a character.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Length of the prefix of `bytes` that can be decoded now: everything except a trailing sequence that is a valid
    /// start of a character but not yet complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        // A UTF-8 character is at most 4 bytes: only the last 3 can be an unfinished one.
        let n = bytes.count
        var start = n - 1
        while start >= 0 && start >= n - 3 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return n }
        let lead = bytes[start]
        let expected: Int
        switch lead {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return n  // ASCII, a stray continuation run or an invalid lead: decodable (with U+FFFD) now
        }
        let have = n - start
        guard have < expected else { return n }
        // Hold back only if the bytes so far can still form a valid character (second-byte ranges of RFC 3629).
        if have >= 2 {
            let second = bytes[start + 1]
            let valid: Bool
            switch lead {
            case 0xE0: valid = (0xA0...0xBF).contains(second)
            case 0xED: valid = (0x80...0x9F).contains(second)
            case 0xF0: valid = (0x90...0xBF).contains(second)
            case 0xF4: valid = (0x80...0x8F).contains(second)
            default: valid = true
            }
            if !valid { return n }
        }
        return start
    }
}

extension BPETokenizer {
    /// Feeds one token into `decoder` and returns the text it completes.
    public func decode(_ id: Int, streamingInto decoder: inout StreamingDecoder, skipControl: Bool = false) -> String {
        guard tokens.indices.contains(id), !(skipControl && tokenTypes[id] == .control) else { return "" }
        return decoder.append(tokenBytes[id])
    }
}
