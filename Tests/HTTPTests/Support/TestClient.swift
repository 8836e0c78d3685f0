import Foundation
import Sockets

/// A deliberately plain HTTP/1.1 client over a blocking socket, for live tests: it sends exactly
/// the bytes a test writes and parses responses itself, so the server is tested against the wire
/// format rather than against another library's leniency.
/// `@unchecked Sendable`: a test hands a client between threads but only one uses it at a time.
final class TestClient: @unchecked Sendable {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let socket: Socket
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`; reads give up after `timeout` seconds so a broken server fails the test.
    init(port: UInt16, timeout: Int = 10) throws {
        socket = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: port))
        try socket.setReceiveTimeout(seconds: timeout)
    }

    deinit { socket.close() }

    /// Writes all of `text`.
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in Glibc.send(socket.fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Sends a simple GET with the given extra header lines.
    func get(_ path: String, headers: String = "") throws {
        try send("GET \(path) HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
    }

    /// Closes our sending side only (a half-closed client).
    func shutdownWrite() { socket.shutdownWrite() }

    /// Reads one response. `head: true` for responses to HEAD (no body whatever the headers say).
    func readResponse(head: Bool = false) throws -> Response {
        let headEnd = try readUntil(Array("\r\n\r\n".utf8))
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw Failure(description: "bad status line in \(headText)")
        }
        let headers = lines.map { line -> (String, String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = Response(status: status, headers: headers, body: [])
        if head || status < 200 || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            response.body = try readChunkedBody()
        } else if let length = response.header("Content-Length").flatMap(Int.init) {
            try fill(length)
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    /// Reads one chunk of a chunked body (nil at the last chunk), for watching a stream as it arrives.
    func readChunk() throws -> [UInt8]? {
        let lineEnd = try readUntil(Array("\r\n".utf8))
        let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";")[0]
        guard let size = Int(sizeText, radix: 16) else { throw Failure(description: "bad chunk size '\(sizeText)'") }
        buffer.removeFirst(lineEnd + 2)
        if size == 0 {
            let end = try readUntil(Array("\r\n".utf8))
            buffer.removeFirst(end + 2)
            return nil
        }
        try fill(size + 2)
        let chunk = Array(buffer[..<size])
        buffer.removeFirst(size + 2)
        return chunk
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while let chunk = try readChunk() { body += chunk }
        return body
    }

    /// Reads until the server closes; returns what arrived. Throws on timeout.
    func readToEnd() throws -> [UInt8] {
        while try readMore() {}
        defer { buffer = [] }
        return buffer
    }

    /// Waits up to `milliseconds` for something to read (data or EOF).
    func waitForData(milliseconds: Int32) -> Bool {
        if !buffer.isEmpty { return true }
        var entry = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Whether the server closed the connection (EOF) with nothing more to read.
    func isClosedByServer() throws -> Bool {
        if !buffer.isEmpty { return false }
        return try !readMore()
    }

    private func readUntil(_ marker: [UInt8]) throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                for i in searchFrom...(buffer.count - marker.count) where Array(buffer[i..<(i + marker.count)]) == marker { return i }
                searchFrom = buffer.count - marker.count + 1
            }
            guard try readMore() else { throw Failure(description: "connection closed before \(marker)") }
        }
    }

    private func fill(_ count: Int) throws {
        while buffer.count < count {
            guard try readMore() else { throw Failure(description: "connection closed with \(buffer.count) of \(count) bytes") }
        }
    }

    /// One recv; false at EOF. ECONNRESET counts as EOF (the server closed hard).
    private func readMore() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer += chunk[..<count]
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw Failure(description: "recv failed or timed out: errno \(errno)")
    }
}
