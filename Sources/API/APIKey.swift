import HTTP

/// The bearer key every `/v1` route requires when one is configured. Compared in constant time: the time a
/// wrong guess takes must not tell how many leading bytes were right.
public struct APIKey: Sendable {
    private let bytes: [UInt8]

    /// The shortest key accepted: shorter keys are guessable by brute force over the network.
    public static let minimumLength = 16

    /// A key from its text (surrounding whitespace and a final newline, as files have, are trimmed). Throws a
    /// description of the problem for a key that is too short or holds whitespace or control characters.
    public init(_ text: String) throws(APIKeyError) {
        let trimmed = text.trimmingASCIIWhitespace()
        guard trimmed.utf8.count >= Self.minimumLength else {
            throw APIKeyError(message: "the API key has \(trimmed.utf8.count) characters; at least \(Self.minimumLength) are required")
        }
        guard trimmed.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else {
            throw APIKeyError(message: "the API key must not contain spaces or control characters")
        }
        bytes = Array(trimmed.utf8)
    }

    /// Whether an `Authorization` header value is `Bearer <this key>`. Runs in time that depends only on the
    /// lengths, never on where the first difference is.
    public func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let value = Array(authorization.utf8)
        let scheme = Array("bearer ".utf8)
        guard value.count > scheme.count,
              zip(value.prefix(scheme.count), scheme).allSatisfy({ ($0 | 0x20) == $1 }) else { return false }
        let given = value.dropFirst(scheme.count)
        var difference = UInt8(given.count == bytes.count ? 0 : 1)
        // Walk the stored key's length whatever was given, so a length mismatch costs the same time.
        for (i, expected) in bytes.enumerated() {
            let actual = i < given.count ? given[given.startIndex + i] : 0
            difference |= actual ^ expected
        }
        return difference == 0
    }

    /// The 401 for a missing or wrong key (the same answer for both, so probing learns nothing).
    static let unauthorized = HTTPError(.unauthorized, code: "unauthorized",
                                        message: "this route needs the header 'Authorization: Bearer <API key>'",
                                        headers: ["WWW-Authenticate": "Bearer"])
}

/// Why a configured key was refused.
public struct APIKeyError: Error, CustomStringConvertible {
    /// What is wrong with the key (never the key itself).
    public var message: String
    public var description: String { message }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0, end = bytes.count
        while start < end && [9, 10, 13, 32].contains(bytes[start]) { start += 1 }
        while end > start && [9, 10, 13, 32].contains(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
