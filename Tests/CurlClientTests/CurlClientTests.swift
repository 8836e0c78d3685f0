import Foundation
import Testing
import TestSupport
@testable import CurlClient

/// Server counters as reported by the judge's GET /stats.
struct JudgeStats: Decodable {
    let total: Int
    let max_in_flight: Int
    let connections: Int
}

func judgeStats(_ client: CurlClient, _ server: JudgeServerProcess) async throws -> JudgeStats {
    let r = try await client.send(HTTPClientRequest(url: server.baseURL + "/stats"))
    return try JSONDecoder().decode(JudgeStats.self, from: Data(r.body))
}

func gradeRequest(_ server: JudgeServerProcess, completion: String = "0.25", delayMs: Int? = nil,
                  timeout: Duration? = nil) -> HTTPClientRequest {
    var headers = [HTTPHeader("Content-Type", "application/json")]
    if let delayMs { headers.append(HTTPHeader("X-Judge-Delay-Ms", String(delayMs))) }
    let body = #"{"items":[{"id":"1","prompt":"p","completion":"\#(completion)"}]}"#
    return HTTPClientRequest(method: "POST", url: server.baseURL + "/grao", headers: headers,
                             body: Array(body.utf8), timeout: timeout)
}

@Suite struct CurlClientTests {
    @Test func versionNamesLibcurl() {
        #expect(Curl.version.hasPrefix("libcurl/"))
    }

    @Test func postReturnsStatusHeadersAndBody() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient()
        let r = try await client.send(gradeRequest(server))
        #expect(r.status == 200)
        #expect(r.header("content-type") == "application/json")
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(text.contains(#""score": 0.25"#))
        let missing = try await client.send(HTTPClientRequest(url: server.baseURL + "/nowhere"))
        #expect(missing.status == 404)
    }

    @Test func sequentialCallsReuseOneConnection() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient()
        for _ in 0..<20 {
            #expect(try await client.send(gradeRequest(server)).status == 200)
        }
        let stats = try await judgeStats(client, server)
        #expect(stats.total == 20)
        #expect(stats.connections == 1)
    }

    @Test func concurrencyCapHolds() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient(configuration: .init(maxConcurrent: 4))
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 { group.addTask { try await client.send(gradeRequest(server, delayMs: 40)).status } }
            for try await status in group { #expect(status == 200) }
        }
        let stats = try await judgeStats(client, server)
        #expect(stats.total == 16)
        #expect(stats.max_in_flight <= 4)
        #expect(stats.max_in_flight >= 2)  // calls really overlapped
        #expect(stats.connections <= 5)    // 4 slots (+1 for /stats at most)
    }

    @Test func deadlineGivesTimeout() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient()
        await #expect(throws: CurlClientError.self) {
            try await client.send(gradeRequest(server, delayMs: 2000, timeout: .milliseconds(100)))
        }
        do {
            _ = try await client.send(gradeRequest(server, delayMs: 2000, timeout: .milliseconds(100)))
        } catch let error as CurlClientError {
            guard case .timeout = error else { Issue.record("expected timeout, got \(error)"); return }
            #expect(error.isRetryable)
        }
    }

    @Test func queueingCountsAgainstTheDeadlineButNotTheTimeout() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient(configuration: .init(maxConcurrent: 1))
        let slow = Task { try await client.send(gradeRequest(server, delayMs: 400)) }
        try await Task.sleep(for: .milliseconds(50))
        // Queued ~350 ms behind the slow call: a 200 ms transfer limit still succeeds...
        let patient = Task { try await client.send(gradeRequest(server, timeout: .milliseconds(200))) }
        // ...while a 150 ms overall deadline expires in the queue.
        var hurried = gradeRequest(server)
        hurried.deadline = ContinuousClock.now.advanced(by: .milliseconds(150))
        do {
            _ = try await client.send(hurried)
            Issue.record("expected the deadline to pass while queued")
        } catch let error as CurlClientError {
            #expect(error == .timeout("deadline passed while queued"))
        }
        #expect(try await slow.value.status == 200)
        #expect(try await patient.value.status == 200)
    }

    @Test func refusedConnectionIsAConnectionError() async throws {
        let port: Int
        do {
            let server = try await JudgeServerProcess.start()
            port = server.port
        }  // the server process is stopped here, so nothing listens on the port
        let client = try CurlClient()
        do {
            _ = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/grao"))
            Issue.record("expected a connection error")
        } catch let error as CurlClientError {
            guard case .connection = error else { Issue.record("expected connection error, got \(error)"); return }
        }
    }

    @Test func nonHTTPSchemesAreRefused() async throws {
        let client = try CurlClient()
        await #expect(throws: CurlClientError.invalidRequest("URL must start with http:// or https://: file:///etc/passwd")) {
            try await client.send(HTTPClientRequest(url: "file:///etc/passwd"))
        }
    }

    @Test func oversizedResponseFails() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient(configuration: .init(maxResponseBytes: 16))
        await #expect(throws: CurlClientError.responseTooLarge(limit: 16)) {
            try await client.send(gradeRequest(server))
        }
    }

    @Test func cancellationAbortsTheTransfer() async throws {
        let server = try await JudgeServerProcess.start()
        let client = try CurlClient()
        let task = Task { try await client.send(gradeRequest(server, delayMs: 3000)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(client.inFlight == 0)
    }

    @Test func httpsWorksWithCABundleAndFailsWithoutIt() async throws {
        let tls = try TestCertificate()
        defer { tls.remove() }
        let cert = tls.certificatePath, key = tls.keyPath
        let server = try await JudgeServerProcess.start(["--tls-cert", cert, "--tls-key", key], https: true)
        let trusting = try CurlClient(configuration: .init(caBundlePath: cert))
        #expect(try await trusting.send(gradeRequest(server)).status == 200)
        let plain = try CurlClient()
        do {
            _ = try await plain.send(gradeRequest(server))
            Issue.record("a self-signed server must not be trusted without the CA bundle")
        } catch let error as CurlClientError {
            guard case .tls = error else { Issue.record("expected a TLS error, got \(error)"); return }
        }
    }
}
