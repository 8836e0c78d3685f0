import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The example judge (examples/judges/judge_server.py) as a real child process on 127.0.0.1, for tests.
/// Spawned and killed by `Sockets.PortAnnouncingProcess`.
/// Shared by the CurlClient and Rewards tests through the TestSupport target.
public final class JudgeServerProcess: @unchecked Sendable {
    private let process: PortAnnouncingProcess
    public var pid: pid_t { process.pid }
    public var port: Int { process.port }
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
        do { process = try PortAnnouncingProcess(["python3", Self.scriptPath, "--port", "0"] + arguments) } catch {
            throw StartError(description: "judge server: \(error)")
        }
    }
}
