import Glibc
import Testing
@testable import Sockets

@Suite struct SocketTests {
    @Test func addressesAreParsedOrRejectedByName() throws {
        #expect(try SocketAddress(host: "127.0.0.1", port: 80).family == .ipv4)
        #expect(try SocketAddress(host: "::1", port: 80).family == .ipv6)
        #expect(try SocketAddress(host: "localhost", port: 80).host == "127.0.0.1")
        #expect(try SocketAddress(host: "127.0.0.1", port: 80).isLoopback)
        #expect(try !SocketAddress(host: "0.0.0.0", port: 80).isLoopback)
        #expect(try SocketAddress(host: "::1", port: 8080).description == "[::1]:8080")
        let error = #expect(throws: SocketError.self) { try SocketAddress(host: "example.com", port: 80) }
        #expect(error?.description.contains("example.com") == true)
    }

    @Test func listenAcceptReadWriteOnLoopback() throws {
        let listener = try Socket.makeListening(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let port = try listener.localPort()
        #expect(port != 0)
        // Nothing pending yet: a non-blocking accept reports would-block, not an error.
        guard case .wouldBlock = try listener.accept() else {
            Issue.record("accept with an empty queue must be would-block")
            return
        }
        let client = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: port))
        defer { client.close() }
        var accepted: Socket?
        for _ in 0..<1000 where accepted == nil {
            if case .done(let socket) = try listener.accept() { accepted = socket } else { usleep(1000) }
        }
        let server = try #require(accepted)
        defer { server.close() }
        try server.setNoDelay()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        guard case .wouldBlock = try server.read(into: buffer) else {
            Issue.record("reading an empty non-blocking socket must be would-block")
            return
        }
        let message = Array("ping".utf8)
        _ = try message.withUnsafeBytes { raw throws(SocketError) in try client.write(raw) }
        var received = 0
        for _ in 0..<1000 where received == 0 {
            if case .done(let count) = try server.read(into: buffer) { received = count } else { usleep(1000) }
        }
        #expect(Array(buffer[0..<received]) == message)
        client.shutdownWrite()
        var eof = false
        for _ in 0..<1000 where !eof {
            if case .done(0) = try server.read(into: buffer) { eof = true } else { usleep(1000) }
        }
        #expect(eof)
    }

    @Test func bindingABusyPortNamesTheCallAndAddress() throws {
        let first = try Socket.makeListening(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { first.close() }
        let port = try first.localPort()
        let error = #expect(throws: SocketError.self) {
            try Socket.makeListening(address: SocketAddress(host: "127.0.0.1", port: port))
        }
        #expect(error?.call == "bind")
        #expect(error?.errno == EADDRINUSE)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
    }

    @Test func syscallHelperClassifiesErrno() throws {
        let error = #expect(throws: SocketError.self) { try syscall("close") { close(-1) } }
        #expect(error?.call == "close")
        #expect(error?.errno == EBADF)
        var calls = 0
        // EINTR is retried transparently.
        let result = try syscall("fake") { () -> Int32 in
            calls += 1
            if calls == 1 {
                errno = EINTR
                return -1
            }
            return 7
        }
        guard case .done(7) = result else {
            Issue.record("expected .done(7)")
            return
        }
        #expect(calls == 2)
        guard case .wouldBlock = try syscall("fake", { () -> Int32 in errno = EAGAIN; return -1 }) else {
            Issue.record("EAGAIN must be would-block")
            return
        }
    }

    @Test func pollerReportsWakeUps() throws {
        let poller = try Poller(capacity: 8)
        let wake = try WakeUpSignal()
        try poller.add(fd: wake.fd, interest: .readable, token: 42)
        var tokens: [UInt64] = []
        try poller.wait(timeoutMilliseconds: 0) { token, _ in tokens.append(token) }
        #expect(tokens.isEmpty)
        wake.signal()
        wake.signal()  // coalesces with the first
        try poller.wait(timeoutMilliseconds: 1000) { token, events in
            tokens.append(token)
            #expect(events.contains(.readable))
        }
        #expect(tokens == [42])
        wake.drain()
        tokens = []
        try poller.wait(timeoutMilliseconds: 0) { token, _ in tokens.append(token) }
        #expect(tokens.isEmpty)
    }

    @Test func openFileLimitCanBeRaisedWithinTheHardLimit() throws {
        let (_, hard) = try ResourceLimits.openFiles()
        let wanted = min(hard, 4096)
        #expect(try ResourceLimits.raiseOpenFiles(toAtLeast: wanted) >= wanted)
        #expect(try ResourceLimits.openFiles().soft >= wanted)
    }

    @Test func monotonicClockAdvances() {
        let a = MonotonicClock.now()
        usleep(2000)
        #expect(MonotonicClock.now() > a)
    }
}
