import Sockets
import Synchronization

/// Identifies a connection across threads. The fd alone is not enough: the kernel reuses fds, so a
/// handler finishing late must not answer a newer connection that got the same number.
struct ConnectionKey: Hashable, Sendable {
    let fd: Int32
    let serial: UInt64
}

/// What other threads tell the event loop.
enum LoopMessage: Sendable {
    /// An async handler's response for the connection's current request.
    case response(ConnectionKey, HTTPResponse)
    /// A piece of a streamed body; resume the continuation when the loop can take more.
    case chunk(ConnectionKey, [UInt8], CheckedContinuation<Void, any Error>)
    /// A streamed body ended (`failed`: the producer threw, so abort the connection).
    case streamEnd(ConnectionKey, failed: Bool)
    /// Stop accepting, finish in-flight requests until the deadline (monotonic nanoseconds), then stop.
    case shutdown(deadline: UInt64)
}

/// The hand-off from handler tasks to the event loop: a lock-protected queue plus an eventfd that
/// wakes the loop. One wake-up per batch: only the post that finds the queue empty signals.
final class Mailbox: Sendable {
    private let queue = Mutex<(messages: [LoopMessage], closed: Bool)>(([], false))
    let wakeUp: WakeUpSignal

    init() throws(SocketError) {
        wakeUp = try WakeUpSignal()
    }

    /// Queues a message. After the loop stopped, stream continuations are failed right away so no
    /// producer waits forever.
    func post(_ message: LoopMessage) {
        let (accepted, wasEmpty) = queue.withLock { state -> (Bool, Bool) in
            if state.closed { return (false, false) }
            state.messages.append(message)
            return (true, state.messages.count == 1)
        }
        if !accepted {
            if case .chunk(_, _, let continuation) = message { continuation.resume(throwing: HTTPBodyWriter.Closed()) }
            return
        }
        if wasEmpty { wakeUp.signal() }
    }

    /// Takes every queued message (called by the loop after a wake-up).
    func takeAll() -> [LoopMessage] {
        wakeUp.drain()
        return queue.withLock { state in
            let messages = state.messages
            state.messages = []
            return messages
        }
    }

    /// Refuses further messages and returns the leftovers (loop exit).
    func close() -> [LoopMessage] {
        queue.withLock { state in
            state.closed = true
            let messages = state.messages
            state.messages = []
            return messages
        }
    }
}
