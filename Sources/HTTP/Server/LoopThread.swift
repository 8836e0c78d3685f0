import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Starts a plain OS thread for the event loop. The loop blocks in epoll_wait, which must never
/// happen on a Swift concurrency thread (the cooperative pool has only as many threads as cores).
enum LoopThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new detached thread.
    static func spawn(_ body: @escaping () -> Void) throws(SocketError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SocketError(call: "pthread_create", errno: result, detail: "event loop thread")
        }
        pthread_detach(thread)
    }
}
