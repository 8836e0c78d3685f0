import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The example judge (examples/judges/judge_server.py) as a real child process on 127.0.0.1, for tests.
/// Spawned with posix_spawn and stopped with SIGTERM + waitpid: Foundation's Process.waitUntilExit can hang
/// when called from a cooperative-pool thread on Linux.
/// Shared by the CurlClient and Rewards tests through the TestSupport target.
public final class JudgeServerProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    private let output: Int32
    private let scheme: String
    public var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public static var scriptPath: String {
        // Tests/<Target>/ThisFile.swift -> repository root.
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/judges/judge_server.py").path
    }

    /// Starts the server on a plain thread: waiting for Python to start must not hold one of the few
    /// cooperative-pool threads, or concurrently running tests starve.
    public static func start(_ arguments: [String] = [], https: Bool = false) async throws -> JudgeServerProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try JudgeServerProcess(arguments, https: https) }) }.start()
        }
    }

    /// Starts the server with these flags and waits (blocking) for its `{"port": N}` line.
    private init(_ arguments: [String] = [], https: Bool = false) throws {
        scheme = https ? "https" : "http"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw StartError(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ["/usr/bin/env", "python3", Self.scriptPath, "--port", "0"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, &cArgs, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw StartError(description: "posix_spawn failed: \(rc)")
        }
        pid = child
        output = fds[0]
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 256, read(output, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        struct Hello: Decodable { let port: Int }
        guard let hello = try? JSONDecoder().decode(Hello.self, from: Data(line)) else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            close(output)
            throw StartError(description: "judge server did not print its port: \(String(decoding: line, as: UTF8.self))")
        }
        port = hello.port
    }

    deinit {
        // SIGKILL: the test runner may hand its children an ignored SIGTERM.
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(output)
    }
}
