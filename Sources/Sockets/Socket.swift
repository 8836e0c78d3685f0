#if canImport(Glibc)
import Glibc
import CLinux
#endif

/// A TCP socket file descriptor with the few operations the server and its tests need. A plain value:
/// whoever owns it calls `close()` exactly once (the event loop for server sockets).
public struct Socket: Sendable, Hashable {
    /// The file descriptor.
    public let fd: Int32

    /// Wraps an existing descriptor (taken over: the caller must not close it separately).
    public init(fd: Int32) { self.fd = fd }

    /// A non-blocking listening socket bound to `address`, with SO_REUSEADDR so a restarted server
    /// does not wait for TIME_WAIT sockets of its previous run.
    public static func makeListening(address: SocketAddress, backlog: Int32 = 4096) throws(SocketError) -> Socket {
        let fd = try syscallChecked("socket") { socket(address.domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let made = Socket(fd: fd)
        do throws(SocketError) {
            try made.setOption(SOL_SOCKET, SO_REUSEADDR, 1, name: "SO_REUSEADDR")
            _ = try syscallChecked("bind") { address.withSockAddr { bind(fd, $0, $1) } }
            _ = try syscallChecked("listen") { listen(fd, backlog) }
        } catch {
            made.close()
            throw SocketError(call: error.call, errno: error.errno, detail: "\(address)")
        }
        return made
    }

    /// A blocking client socket connected to `address` (used by tests and tools, not by the server).
    public static func makeConnected(to address: SocketAddress) throws(SocketError) -> Socket {
        let fd = try syscallChecked("socket") { socket(address.domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let made = Socket(fd: fd)
        do throws(SocketError) {
            _ = try syscallChecked("connect") { address.withSockAddr { connect(fd, $0, $1) } }
        } catch {
            made.close()
            throw SocketError(call: error.call, errno: error.errno, detail: "\(address)")
        }
        return made
    }

    /// Accepts one pending connection as a non-blocking socket, or `.wouldBlock` when none is queued.
    public func accept() throws(SocketError) -> IOResult<Socket> {
        switch try syscall("accept4", { clinux_accept4(fd, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }) {
        case .done(let client): return .done(Socket(fd: client))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// Reads at most `buffer.count` bytes; `.done(0)` means the peer closed its sending side.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try syscall("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Sends as much of `bytes` as the kernel takes. MSG_NOSIGNAL: a vanished peer is an EPIPE error,
    /// not a SIGPIPE that kills the process.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try syscall("send") { send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Disables Nagle's algorithm: responses are written whole, so there is nothing to coalesce, and
    /// Nagle plus delayed ACKs would otherwise stall small responses for ~40 ms.
    public func setNoDelay() throws(SocketError) {
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, name: "TCP_NODELAY")
    }

    /// Sets an integer socket option; `name` is used in the error.
    public func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: String) throws(SocketError) {
        var value = value
        _ = try syscallChecked("setsockopt") {
            setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// A receive timeout for blocking sockets (test clients), so a broken server fails a test instead of hanging it.
    public func setReceiveTimeout(seconds: Int) throws(SocketError) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        _ = try syscallChecked("setsockopt") {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// Closes our sending side (sends FIN) while still reading: the first half of a lingering close.
    public func shutdownWrite() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Releases the descriptor. Errors are ignored: after close(2) the fd is gone whatever it returns.
    public func close() {
        _ = Glibc.close(fd)
    }

    /// The port the socket is bound to (after binding port 0).
    public func localPort() throws(SocketError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutableBytes(of: &storage) { raw throws(SocketError) in
            try syscallChecked("getsockname") {
                getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }
        }
        return withUnsafeBytes(of: storage) { raw in
            let family = raw.load(as: sockaddr.self).sa_family
            if family == sa_family_t(AF_INET6) {
                return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            }
            return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
        }
    }
}
