import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// Reading streamed (chunked, Server-Sent Events) responses on the live tests' blocking sockets.
extension Wire {
    /// A request whose answer is read to the end, with a chunked body de-chunked.
    static func streamed(_ port: UInt16, _ method: String, _ path: String, body: String) throws -> WireResponse {
        var response = try request(port, method, path, body: body)
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" { response.body = try dechunk(response.body) }
        return response
    }

    /// The payload of a chunked body (sizes in hex, each chunk followed by CRLF, ended by a zero-size chunk).
    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while true {
            guard let lineEnd = bytes[i...].firstRange(of: Array("\r\n".utf8)) else { throw WireFailure(description: "unterminated chunk size") }
            guard let size = Int(String(decoding: bytes[i..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else {
                throw WireFailure(description: "bad chunk size")
            }
            i = lineEnd.upperBound
            if size == 0 { return out }
            guard i + size + 2 <= bytes.count else { throw WireFailure(description: "truncated chunk") }
            out += bytes[i..<i + size]
            i += size + 2
        }
    }

    /// The `data:` payloads of an event stream, in order.
    static func dataEvents(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            block.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }

    /// Reads from `socket` until the bytes received so far hold `count` occurrences of `marker` (or EOF); returns them.
    static func read(_ socket: Socket, untilCount count: Int, of marker: String) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let needle = Array(marker.utf8)
        while data.ranges(of: needle).count < count {
            let n = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw WireFailure(description: "recv failed: errno \(errno)") }
            if n == 0 { break }
            data += buffer[..<n]
        }
        return data
    }
}

/// A streamed OpenAI answer taken apart: text and finish reason per choice index, the chunks, the usage chunk.
struct StreamedAnswer {
    var texts: [Int: String] = [:]
    var finishes: [Int: String] = [:]
    var chunks: [[String: Any]] = []
    var usage: [String: Any]?
    var done = false

    init(_ response: WireResponse) throws {
        let events = Wire.dataEvents(response.text)
        for (i, event) in events.enumerated() {
            if event == "[DONE]" {
                done = i == events.count - 1
                continue
            }
            guard let chunk = try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any] else {
                throw WireFailure(description: "not a JSON chunk: \(event)")
            }
            chunks.append(chunk)
            if let u = chunk["usage"] as? [String: Any] { usage = u }
            for choice in chunk["choices"] as? [[String: Any]] ?? [] {
                let index = choice["index"] as? Int ?? -1
                let piece = (choice["delta"] as? [String: Any])?["content"] as? String ?? choice["text"] as? String ?? ""
                texts[index, default: ""] += piece
                if let finish = choice["finish_reason"] as? String { finishes[index] = finish }
            }
        }
    }
}
