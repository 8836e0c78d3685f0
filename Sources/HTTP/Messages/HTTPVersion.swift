/// The protocol version of a request line. Only 1.x is spoken; 1.0 changes keep-alive and framing.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    /// Major digit (always 1 for accepted requests).
    public let major: UInt8
    /// Minor digit; any minor above 1 is served with 1.1 semantics (RFC 9110 §2.5).
    public let minor: UInt8
    /// Builds a version from its digits.
    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0: no persistence unless asked, no chunked responses.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// Whether the client speaks at least HTTP/1.1 (persistent by default, may receive chunked).
    public var isAtLeast1_1: Bool { major > 1 || (major == 1 && minor >= 1) }

    public var description: String { "HTTP/\(major).\(minor)" }
}
