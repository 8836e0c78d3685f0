#if canImport(Glibc)
import Glibc
#endif

/// What a non-blocking call did: finished with a value, or would have blocked (EAGAIN/EWOULDBLOCK).
/// Would-block is not an error on a non-blocking socket; it means "wait for epoll".
public enum IOResult<Value: Sendable>: Sendable {
    case done(Value)
    case wouldBlock
}

/// Runs one system call the way every call in this module must: retry on EINTR, report EAGAIN as
/// `.wouldBlock`, and throw a `SocketError` naming the call for any other errno.
///
/// `@inline(never)` keeps the errno read right after the call, with no ARC traffic in between that
/// could call into the runtime and clobber errno (the same reason swift-nio's helper exists).
@inline(never)
public func syscall<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SocketError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SocketError(call: name, errno: code)
        }
    }
}

/// The same helper for calls that cannot sensibly block (bind, listen, setsockopt, epoll_ctl):
/// would-block there is a bug in our use of the call and is reported as an error.
@inline(never)
public func syscallChecked<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SocketError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SocketError(call: name, errno: code)
    }
}
