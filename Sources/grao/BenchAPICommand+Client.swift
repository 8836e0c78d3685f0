import ArgumentParser
import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's measuring tools: a blocking HTTP client on its own socket, wrk, timing and JSON lines.
extension BenchAPICommand {
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// One JSON line, with the 1-minute load average (above ~0.5, other processes shared the cores).
    static func emit(_ fields: [String: Any]) throws {
        var fields = fields
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first
        fields["load_average_1m"] = load.flatMap { Double($0) } ?? -1
        try printJSON(fields)
    }

    /// A blocking POST over a fresh connection; the response body as a JSON object (a 2xx answer is required).
    static func post(port: UInt16, path: String, body: [UInt8]) throws -> [String: Any] {
        try request(port: port, method: "POST", path: path, body: body)
    }

    /// A blocking request over a fresh connection (`Connection: close`); the 2xx response's body as a JSON object.
    static func request(port: UInt16, method: String, path: String, body: [UInt8] = []) throws -> [String: Any] {
        let socket = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: port))
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 600)
        let head = "\(method) \(path) HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ValidationError("send failed") }
            offset += sent
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data += buffer[..<count]
        }
        guard let split = data.firstRange(of: Array("\r\n\r\n".utf8)), data.starts(with: Array("HTTP/1.1 2".utf8)) else {
            throw ValidationError("bench request \(method) \(path) failed: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return (try JSONSerialization.jsonObject(with: Data(data[split.upperBound...]))) as? [String: Any] ?? [:]
    }

    /// Runs wrk against /healthz; requests/s and p99 latency in ms.
    static func wrk(port: UInt16, seconds: Int, connections: Int) throws -> (rate: Double, p99: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wrk", "-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "http://127.0.0.1:\(port)/healthz"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        func number(after label: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return line.split(separator: " ").dropFirst().compactMap { part -> Double? in
                let s = part.trimmingCharacters(in: .whitespaces)
                if s.hasSuffix("ms") { return Double(s.dropLast(2)) }
                if s.hasSuffix("us") { return Double(s.dropLast(2)).map { $0 / 1000 } }
                if s.hasSuffix("s") { return Double(s.dropLast()).map { $0 * 1000 } }
                return Double(s)
            }.first
        }
        guard let rate = number(after: "Requests/sec:") else { throw ValidationError("wrk output not understood:\n\(text)") }
        return (rate, number(after: " 99%") ?? -1)
    }

    /// Runs blocking work (a socket client, wrk) on a plain thread, off the cooperative pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.start()
        }
    }
}
