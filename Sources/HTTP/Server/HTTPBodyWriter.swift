/// Handed to a streaming response's producer. Each write waits until the event loop has taken the
/// bytes and the connection's unsent output is below its high-water mark: a client that stops
/// reading slows the producer down instead of growing memory.
public final class HTTPBodyWriter: Sendable {
    /// Thrown by writes after the client went away or the server stopped; producers should return.
    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the connection closed before the stream ended" }
    }

    let key: ConnectionKey
    let mailbox: Mailbox

    init(key: ConnectionKey, mailbox: Mailbox) {
        self.key = key
        self.mailbox = mailbox
    }

    /// Sends raw body bytes (one chunk on the wire).
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            mailbox.post(.chunk(key, bytes, continuation))
        }
    }

    /// Sends a string as UTF-8.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Sends one Server-Sent Event: optional `event:` and `id:` lines, then one `data:` line per line of
    /// `data` (so multi-line payloads survive), then the blank line that dispatches it.
    public func sendEvent(_ data: String, event: String? = nil, id: String? = nil) async throws {
        try await write(Self.formatEvent(data, event: event, id: id))
    }

    static func formatEvent(_ data: String, event: String?, id: String?) -> String {
        var text = ""
        if let event { text += "event: \(Self.singleLine(event))\n" }
        if let id { text += "id: \(Self.singleLine(id))\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line.hasSuffix("\r") ? line.dropLast() : line)\n"
        }
        return text + "\n"
    }

    private static func singleLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
