import Foundation
import HTTP
import Logging
import Synchronization

/// Runs `body` against a real server on 127.0.0.1 with a kernel-chosen port, then shuts it down and
/// waits until it stopped (so a test that leaks connections or tasks hangs visibly instead of passing).
func withLiveServer<T>(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                       router: HTTPRouter, logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                       _ body: (UInt16, HTTPServer) async throws -> T) async throws -> T {
    // 2,000 connections: enough for every test but the 10k one (which asks for more), and within
    // the descriptor limit of modest machines.
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: 2000)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, router: router, logger: logger)
    let port = try server.start()
    do {
        let result = try await body(port, server)
        server.shutdown(gracePeriod: .seconds(5))
        await server.waitUntilStopped()
        return result
    } catch {
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilStopped()
        throw error
    }
}

/// Runs blocking socket code on its own thread: test clients block in recv, and blocking a Swift
/// concurrency thread could starve the server's handler tasks on a 2-core machine.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// A one-shot signal between a test and a handler: the handler awaits `wait()`, the test calls `open()`.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            let w = s.waiters
            s.waiters = []
            return w
        }
        for waiter in waiters { waiter.resume() }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Polls from a blocking thread until the gate opens (or `seconds` pass).
    func waitBlocking(seconds: Double = 10) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while !isOpen && Date() < end { usleep(1000) }
        return isOpen
    }
}
