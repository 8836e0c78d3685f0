import Foundation
import Testing
import TestSupport
@testable import HTTP
import Sockets

/// Slow, half-closed, many and misbehaving clients; limits and shutdown.
extension HTTPServerTests {
    @Test func slowlorisHeadersGet408WhileOthersAreServed() async throws {
        try await withLiveServer({ $0.timeouts.header = .milliseconds(400) }, router: Self.makeRouter()) { port, _ in
            try await onThread {
                let slow = try TestClient(port: port)
                try slow.send("GET /healthz HTTP/1.1\r\n")
                var trickled = 0
                // One byte every 50 ms for up to 4 s: each byte is progress, but the deadline covers
                // the whole head, so the server must answer long before the trickle ends.
                while trickled < 80 && !slow.waitForData(milliseconds: 50) {
                    try slow.send("X")
                    trickled += 1
                    let other = try TestClient(port: port)
                    try other.get("/healthz")
                    #expect(try other.readResponse().status == 200)
                }
                let response = try slow.readResponse()
                #expect(response.status == 408)
                #expect(response.text.contains("request_timeout"))
                #expect(trickled < 80, "the server must cut the trickling client off")
            }
        }
    }

    @Test func slowBodyGets408() async throws {
        try await withLiveServer({ $0.timeouts.body = .milliseconds(300) }, router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
                #expect(try client.readResponse().status == 408)
                #expect(try client.isClosedByServer())
            }
        }
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        try await withLiveServer({ $0.timeouts.idle = .milliseconds(300) }, router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/healthz")
                #expect(try client.readResponse().status == 200)
                #expect(try client.isClosedByServer())  // no 408: nothing was asked
            }
        }
    }

    @Test func halfClosedClientsStillGetTheirResponses() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("GET /slow?ms=30 HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                client.shutdownWrite()
                let first = try client.readResponse()
                let second = try client.readResponse()
                #expect(first.text == "slow 30")
                #expect(second.status == 200)
                #expect(try client.isClosedByServer())
            }
        }
    }

    @Test func aThousandConcurrentClients() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let clients = try (0..<1000).map { _ in try TestClient(port: port) }
                // Every request is in flight before any response is read.
                for (i, client) in clients.enumerated() {
                    if i % 2 == 0 {
                        try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(String(i).utf8.count)\r\n\r\n\(i)")
                    } else {
                        try client.get("/slow?ms=5")
                    }
                }
                var ok = 0
                for (i, client) in clients.enumerated() {
                    let response = try client.readResponse()
                    if response.status == 200 && response.text == (i % 2 == 0 ? "\(i)" : "slow 5") { ok += 1 }
                }
                #expect(ok == 1000)
            }
        }
    }

    @Test func longHandlerDoesNotBlockHealthChecks() async throws {
        let gate = Gate()
        let started = Gate()
        try await withLiveServer(router: Self.makeRouter(gate: gate, started: started)) { port, _ in
            try await onThread {
                let long = try TestClient(port: port)
                try long.get("/gate")
                #expect(started.waitBlocking())
                for _ in 0..<20 {
                    let probe = try TestClient(port: port, timeout: 5)
                    try probe.get("/healthz")
                    #expect(try probe.readResponse().status == 200)
                }
                #expect(!gate.isOpen, "the long handler is still in flight")
                gate.open()
                #expect(try long.readResponse().text == "released")
            }
        }
    }

    @Test func connectionsPastTheLimitGet503() async throws {
        try await withLiveServer({ $0.maxConnections = 2 }, router: Self.makeRouter()) { port, _ in
            try await onThread {
                let a = try TestClient(port: port)
                let b = try TestClient(port: port)
                for client in [a, b] {
                    try client.get("/healthz")
                    #expect(try client.readResponse().status == 200)
                }
                let c = try TestClient(port: port)
                try c.get("/healthz")
                let refused = try c.readResponse()
                #expect(refused.status == 503)
                #expect(refused.text.contains("too_many_connections"))
                #expect(try c.isClosedByServer())
                // The admitted ones keep working, and a slot frees up when one leaves.
                try a.get("/healthz")
                #expect(try a.readResponse().status == 200)
                b.socket.shutdownWrite()
                #expect(try b.isClosedByServer())
                var admitted = false
                for _ in 0..<100 where !admitted {
                    let d = try TestClient(port: port)
                    try d.get("/healthz")
                    admitted = try d.readResponse().status == 200
                    if !admitted { usleep(10_000) }
                }
                #expect(admitted)
            }
        }
    }

    @Test func gracefulShutdownFinishesTheRequestInFlight() async throws {
        let gate = Gate()
        let started = Gate()
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: 100)
        configuration.timeouts.idle = .seconds(30)
        let server = HTTPServer(configuration: configuration, router: Self.makeRouter(gate: gate, started: started),
                                logger: .init(label: "test"))
        let port = try server.start()
        let inFlight = Task {
            try await onThread { () -> (Int, String?) in
                let client = try TestClient(port: port)
                try client.get("/gate")
                let response = try client.readResponse()
                return (response.status, response.header("Connection"))
            }
        }
        let idle = try await onThread { () -> TestClient in
            let client = try TestClient(port: port)
            try client.get("/healthz")
            _ = try client.readResponse()
            return client
        }
        _ = try await onThread { started.waitBlocking() }
        server.shutdown(gracePeriod: .seconds(10))
        try await onThread { () throws in
            // Idle connections are closed at once and no new connection is accepted.
            #expect(try idle.isClosedByServer())
            var refused = false
            for _ in 0..<100 where !refused {
                refused = (try? TestClient(port: port)) == nil
                if !refused { usleep(10_000) }
            }
            #expect(refused)
        }
        gate.open()
        let (status, connection) = try await inFlight.value
        #expect(status == 200)
        #expect(connection == "close")
        await server.waitUntilStopped()
    }

    @Test func shutdownDeadlineCutsHandlersThatDoNotFinish() async throws {
        let started = Gate()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: 100),
                                router: Self.makeRouter(gate: Gate(), started: started), logger: .init(label: "test"))
        let port = try server.start()
        let client = try await onThread { () -> TestClient in
            let client = try TestClient(port: port)
            try client.get("/gate")
            return client
        }
        _ = try await onThread { started.waitBlocking() }
        server.shutdown(gracePeriod: .milliseconds(200))
        await server.waitUntilStopped()
        let closed = try await onThread { try client.isClosedByServer() }
        #expect(closed)
    }

    /// The client side runs in a Python process: 10,000 connections cost 20,000 descriptors when
    /// both ends live in one process, more than a typical hard limit (20,000 on the build machine).
    @Test func tenThousandIdleKeepAliveConnectionsAreHeld() async throws {
        try await withLiveServer({ $0.maxConnections = 10_500 }, router: Self.makeRouter()) { port, _ in
            try await onThread { () throws in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-c", Self.idleClientsScript, "10000", "\(port)"]
                let input = Pipe()
                let output = Pipe()
                process.standardInput = input
                process.standardOutput = output
                try process.run()
                defer { if process.isRunning { process.terminate() } }
                let lines = LineReader(output.fileHandleForReading)
                #expect(lines.next() == "ready 10000")
                // All 10,000 are open and idle now; a newcomer is still served promptly.
                let newcomer = try TestClient(port: port)
                try newcomer.get("/healthz")
                #expect(try newcomer.readResponse().status == 200)
                input.fileHandleForWriting.write("go\n".data(using: .utf8)!)
                #expect(lines.next() == "again 104 104")
                #expect(ProcessExit.wait(for: process) == 0)
            }
        }
    }

    static let idleClientsScript = """
    import resource, socket, sys
    count, port = int(sys.argv[1]), int(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    request = b"GET /healthz HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n"
    def status(s):
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return b"closed"
            data += chunk
        head, rest = data.split(b"\\r\\n\\r\\n", 1)
        length = int([l.split(b":")[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length")][0])
        while len(rest) < length:
            rest += s.recv(4096)
        return head.split(b" ")[1]
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(30)
        s.sendall(request)
        sockets.append(s)
    print("ready", sum(1 for s in sockets if status(s) == b"200"), flush=True)
    sys.stdin.readline()
    sample = sockets[::97]
    ok = 0
    for s in sample:
        s.sendall(request)
        ok += status(s) == b"200"
    print("again", ok, len(sample), flush=True)
    """
}

/// Reads a child process's output line by line.
final class LineReader {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
