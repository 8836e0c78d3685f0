import Foundation
import Sockets
import Testing
import TestSupport

/// Runs the real `grao serve` binary: start-up line, a request, then SIGTERM and a clean exit.
@Suite struct ServeProcessTests {
    /// The `grao` executable built next to this test bundle (`swift build --build-tests` builds both).
    static var graoBinary: URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("grao")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    @Test func serveAnswersHealthAndStopsOnSIGTERM() throws {
        let binary = try #require(Self.graoBinary, "the grao executable must be built next to the tests")
        let process = Process()
        process.executableURL = binary
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("grao-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        process.arguments = ["serve", "--port", "0", "--log-level", "info", "--max-connections", "100", "--data", data.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let reader = errors.fileHandleForReading
        var log = ""
        var port: UInt16?
        while port == nil, !(log.contains("error")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let line = log.split(separator: "\n").first(where: { $0.contains("grao serving") }),
               let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = UInt16(line[range].split(separator: ":")[1])
            }
        }
        let boundPort = try #require(port, "no start-up line in: \(log)")

        let socket = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: boundPort))
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 10)
        let request = Array("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, 0) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("\r\n\r\n{\"status\":\"ok\"}"))

        kill(process.processIdentifier, SIGTERM)
        let exitCode = ProcessExit.wait(for: process)
        log += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        #expect(exitCode == 0)
        #expect(log.contains("path=/healthz"))
        #expect(log.contains("status=200"))
        #expect(log.contains("grao stopped"))
    }
}
