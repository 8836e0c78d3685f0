#if canImport(Glibc)
import Glibc
#endif

/// The one error type of the Sockets module: which system call failed, with its errno, so a log line
/// says "accept4: Too many open files (errno 24)" instead of a bare number.
public struct SocketError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The failing call, e.g. `"bind"`, or a short description for errors that are not a syscall.
    public let call: String
    /// The `errno` the call reported, or 0 when the error is not a syscall failure (bad address text).
    public let errno: Int32
    /// Extra context (the address being bound, the option being set).
    public let detail: String

    /// Builds an error for `call` failing with `errno`.
    public init(call: String, errno: Int32, detail: String = "") {
        self.call = call
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        var text = call
        if !detail.isEmpty { text += " (\(detail))" }
        if errno != 0 { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return text
    }
}
