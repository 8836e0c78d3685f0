import API
import Foundation
import HTTP
import Logging
import Sockets

/// One exchange with a live server over a real socket: the test writes the request, the server answers and
/// closes (`Connection: close`), so the response is everything read until EOF.
struct WireResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    /// The `error.message` of a JSON error body.
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

struct WireFailure: Error, CustomStringConvertible { var description: String }

/// A blocking HTTP/1.1 client for live tests (run it with `onThread`, never on a concurrency thread).
enum Wire {
    static func connect(_ port: UInt16) throws -> Socket {
        let socket = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: port))
        try socket.setReceiveTimeout(seconds: 60)
        return socket
    }

    static func send(_ socket: Socket, method: String, path: String, body: String? = nil, headers: [String: String] = [:]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let payload = Array((body ?? "").utf8)
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + payload
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { throw WireFailure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    static func receive(_ socket: Socket) throws -> WireResponse {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw WireFailure(description: "recv failed: errno \(errno)") }
            if count == 0 { break }
            data += buffer[..<count]
        }
        guard let split = data.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw WireFailure(description: "no response head in \(data.count) bytes")
        }
        let lines = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let status = Int(lines[0].split(separator: " ")[1]) else { throw WireFailure(description: "bad status line \(lines[0])") }
        let headers = lines.dropFirst().map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        // Content-Length bodies only: every API response that is not a stream has one.
        return WireResponse(status: status, headers: headers, body: Array(data[split.upperBound...]))
    }

    static func request(_ port: UInt16, _ method: String, _ path: String, body: String? = nil,
                        headers: [String: String] = [:]) throws -> WireResponse {
        let socket = try connect(port)
        defer { socket.close() }
        try send(socket, method: method, path: path, body: body, headers: headers)
        return try receive(socket)
    }
}

/// Runs blocking socket code on its own thread so the server's tasks keep both concurrency threads.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Serves `api` on 127.0.0.1 with a kernel-chosen port for the duration of `body`, then stops server and engine.
func withLiveAPI<T>(_ api: APIServer, _ body: (UInt16) async throws -> T) async throws -> T {
    let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: 200,
                                                                   cancelsHandlersOnPeerClose: true),
                            router: api.makeRoutes().router, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let port = try server.start()
    defer { api.engine.stop() }
    do {
        let result = try await body(port)
        server.shutdown(gracePeriod: .seconds(5))
        await server.waitUntilStopped()
        return result
    } catch {
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilStopped()
        throw error
    }
}

extension APIServer {
    /// An API over a tiny in-process model.
    static func tiny(key: String? = nil, limits: APIServer.RequestLimits = .init(), engineLimits: ComputeEngine.Limits = .init()) throws -> APIServer {
        APIServer(configuration: .init(apiKey: try key.map { try APIKey($0) }, dataDirectory: NSTemporaryDirectory(), limits: limits),
                  engine: TinyModel.engine(limits: engineLimits), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}
