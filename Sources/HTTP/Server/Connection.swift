import Sockets

/// One client connection's state. Owned by the event loop thread; never touched elsewhere (handler
/// tasks talk to the loop through the `Mailbox` using the connection's `key`).
final class Connection {
    /// Details of the request being answered, for the access log and the response head.
    struct Exchange {
        var method: HTTPMethod
        var path: String
        var requestID: String
        var keepAlive: Bool
        var isHEAD: Bool
        var clientIsHTTP10: Bool
        var started: UInt64
        var status: Int = 0
        var bodyBytes: Int = 0
    }

    let socket: Socket
    let key: ConnectionKey
    var parser: HTTPRequestParser
    var lifecycle: ConnectionLifecycle
    /// Bytes read but not yet parsed (empty in the common case: requests are parsed straight from
    /// the loop's read buffer, and only leftovers are copied here).
    var input: [UInt8] = []
    /// Bytes accepted for sending that the kernel has not taken yet, from `outputStart` on.
    var output: [UInt8] = []
    var outputStart = 0
    /// The epoll interest currently registered.
    var interest: PollEvents = .readable
    /// A handler or stream is working on the current request; later pipelined requests wait.
    var busy = false
    /// The current response is a stream whose body is still being produced.
    var streaming: Bool = false
    var streamChunked = false
    /// Answer the next request with 503 and close: the connection is over the limit.
    let rejected: Bool
    /// The client closed its sending side; finish what was asked, then close.
    var peerClosed = false
    /// Reading is paused (too much buffered while busy, or lingering is over).
    var readPaused = false
    /// Sent `100 Continue` for the request whose body is awaited.
    var sentContinue = false
    /// No more requests will be read: close once the output is flushed.
    var closeAfterFlush = false
    var exchange: Exchange?
    var task: Task<Void, Never>?
    /// Stream producers waiting for the output to drain below the high-water mark.
    var writeWaiters: [CheckedContinuation<Void, any Error>] = []
    /// Removed from the loop; late messages for it are dropped.
    var closed = false

    init(socket: Socket, serial: UInt64, limits: HTTPParserLimits, lifecycle: ConnectionLifecycle, rejected: Bool) {
        self.socket = socket
        key = ConnectionKey(fd: socket.fd, serial: serial)
        parser = HTTPRequestParser(limits: limits)
        self.lifecycle = lifecycle
        self.rejected = rejected
    }

    /// Unsent output bytes.
    var pendingOutput: Int { output.count - outputStart }

    /// The poll token: fd in the low 32 bits, serial above, so stale events can be recognized.
    var token: UInt64 { UInt64(UInt32(bitPattern: socket.fd)) | (key.serial << 32) }
}
