#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address and port, parsed from text the user typed (`--host`), never resolved
/// through DNS: a server binds to literal addresses, and `localhost` is the one name we accept.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// IPv4 or IPv6.
    public enum Family: Sendable { case ipv4, ipv6 }

    /// The address family.
    public let family: Family
    /// The host as given (normalized for `localhost`).
    public let host: String
    /// The TCP port (0 = let the kernel pick).
    public let port: UInt16
    private let storage: sockaddr_storage

    /// Parses `host` (an IPv4 or IPv6 literal, or `localhost`) with `port`.
    /// Throws a `SocketError` naming the text when it is neither.
    public init(host: String, port: UInt16) throws(SocketError) {
        let literal = host == "localhost" ? "127.0.0.1" : host
        var storage = sockaddr_storage()
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                let sin = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = port.bigEndian
                sin.pointee.sin_addr = v4
            }
            family = .ipv4
        } else if inet_pton(AF_INET6, literal, &v6) == 1 {
            withUnsafeMutableBytes(of: &storage) { raw in
                let sin6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                sin6.pointee.sin6_port = port.bigEndian
                sin6.pointee.sin6_addr = v6
            }
            family = .ipv6
        } else {
            throw SocketError(call: "parse address", errno: 0,
                              detail: "'\(host)' is not an IPv4 or IPv6 address literal (or localhost)")
        }
        self.host = literal
        self.port = port
        self.storage = storage
    }

    /// Whether the address only reaches this machine (127.0.0.0/8 or ::1); the API refuses to listen
    /// elsewhere without an API key.
    public var isLoopback: Bool {
        switch family {
        case .ipv4: return host.hasPrefix("127.")
        case .ipv6: return host == "::1"
        }
    }

    public var description: String { Self.describe(host: host, port: port) }

    /// `host:port`, with brackets around IPv6 hosts.
    public static func describe(host: String, port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var length: socklen_t {
        socklen_t(family == .ipv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    var domain: Int32 { family == .ipv4 ? AF_INET : AF_INET6 }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}
