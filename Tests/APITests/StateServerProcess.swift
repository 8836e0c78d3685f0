import CurlClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real `grao serve` child process with the real model, on a data directory the test chooses, plus a small
/// JSON client over libcurl. Stopping and starting another on the same directory is a restart.
final class StateServerProcess: @unchecked Sendable {
    let pid: pid_t
    let port: Int
    private let errors: Int32
    let client: CurlClient

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The real model, found from this file's location.
    static var modelPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }
    static var modelPresent: Bool { FileManager.default.fileExists(atPath: modelPath) }

    /// The `grao` executable built next to the test bundle.
    static var binary: String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("grao")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Starts `grao serve --data dataDirectory` on a free port (on a plain thread: waiting must not hold a
    /// cooperative-pool thread) and waits until `/readyz` says the model is loaded.
    static func start(dataDirectory: String, extra: [String] = []) async throws -> StateServerProcess {
        let server = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try StateServerProcess(dataDirectory: dataDirectory, extra: extra) }) }.start()
        }
        for _ in 0..<600 {
            if let r = try? await server.request("GET", "/readyz"), r.status == 200 { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the server never became ready")
    }

    private init(dataDirectory: String, extra: [String]) throws {
        guard let binary = Self.binary else { throw Failure(description: "no grao executable next to the tests") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = [binary, "serve", "--port", "0", "--data", dataDirectory, "--model", Self.modelPath,
                    "--log-level", "notice"] + extra
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, &cArgs, environ)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw Failure(description: "posix_spawn failed: \(rc)") }
        pid = child
        errors = fds[0]
        // The start-up line: "... address=127.0.0.1:PORT ... grao serving".
        var log: [UInt8] = []
        var byte: UInt8 = 0
        var found: Int?
        while found == nil, log.count < 65_536, read(errors, &byte, 1) == 1 {
            log.append(byte)
            guard byte == UInt8(ascii: "\n") else { continue }
            let text = String(decoding: log, as: UTF8.self)
            if let line = text.split(separator: "\n").last(where: { $0.contains("grao serving") }),
               let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(line[range].split(separator: ":")[1])
            }
        }
        guard let found else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            close(errors)
            throw Failure(description: "no start-up line: \(String(decoding: log, as: UTF8.self))")
        }
        port = found
        client = try CurlClient(configuration: .init(maxConcurrent: 4, defaultTimeout: .seconds(600)))
        // Keep draining the log so the server never blocks on a full pipe.
        let fd = errors
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(fd, &buffer, buffer.count) > 0 {}
        }.start()
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and waits for it, on a plain thread.
    func stop() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread { [pid] in
                kill(pid, SIGTERM)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }.start()
        }
    }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, WNOHANG)
    }

    /// A response: status and parsed JSON body (nil when the body is not JSON).
    struct Reply {
        let status: Int
        let json: Any?
        let text: String
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var errorMessage: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? "" }
    }

    /// Sends a request with an optional JSON body (given as text) and extra headers.
    func request(_ method: String, _ path: String, _ body: String? = nil, headers: [String: String] = [:]) async throws -> Reply {
        let extra = headers.sorted { $0.key < $1.key }.map { HTTPHeader($0.key, $0.value) }
        let response = try await client.send(HTTPClientRequest(
            method: method, url: "http://127.0.0.1:\(port)\(path)",
            headers: (body == nil ? [] : [HTTPHeader("Content-Type", "application/json")]) + extra, body: Array((body ?? "").utf8)))
        return Reply(status: response.status, json: try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]),
                     text: String(decoding: response.body, as: UTF8.self))
    }

    /// Sends an object as the JSON body.
    func request(_ method: String, _ path: String, json: Any) async throws -> Reply {
        let data = try JSONSerialization.data(withJSONObject: json)
        return try await request(method, path, String(decoding: data, as: UTF8.self))
    }
}
