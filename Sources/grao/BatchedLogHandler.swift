import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler for `grao serve` that writes lines to stderr in batches. The access log emits
/// one line per request, and a write(2) per line costs more than answering `/healthz` does. Lines are
/// flushed when 64 KiB are pending, every 100 ms, and when the server stops; a crash can lose at most
/// the last 100 ms of lines.
struct BatchedLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let sink: BatchedStderr

    init(label: String, level: Logger.Level, sink: BatchedStderr) {
        self.label = label
        logLevel = level
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = sink.timestamp()
        line += " \(event.level) \(label):"
        let fields = event.metadata.map { metadata.merging($0) { $1 } } ?? metadata
        for key in fields.keys.sorted() { line += " \(key)=\(fields[key]!)" }
        line += " \(event.message)\n"
        sink.append(line, urgent: event.level >= .warning)
    }
}

/// The shared buffer behind `BatchedLogHandler`, with its flushing thread.
final class BatchedStderr: Sendable {
    private let pending = Mutex<[UInt8]>([])
    private let clock = Mutex<(second: Int, text: String)>((-1, ""))

    /// Starts the thread that flushes every 100 ms.
    init() {
        let flusher = Thread { [self] in
            while true {
                usleep(100_000)
                flush()
            }
        }
        flusher.start()
    }

    /// Queues a line; `urgent` lines (warnings and worse) are written at once.
    func append(_ line: String, urgent: Bool) {
        let full = pending.withLock { buffer -> Bool in
            buffer.append(contentsOf: line.utf8)
            return buffer.count >= 64 * 1024
        }
        if full || urgent { flush() }
    }

    /// Writes everything pending.
    func flush() {
        let bytes = pending.withLock { buffer -> [UInt8] in
            let taken = buffer
            buffer.removeAll(keepingCapacity: true)
            return taken
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    /// `2026-01-31T12:34:56+0000`, formatted once per second.
    func timestamp() -> String {
        let now = time(nil)
        return clock.withLock { cached in
            if cached.second != now {
                var t = now
                var parts = tm()
                localtime_r(&t, &parts)
                var text = [UInt8](repeating: 0, count: 32)
                let length = text.withUnsafeMutableBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress, $0.count, "%Y-%m-%dT%H:%M:%S%z", &parts) }
                }
                cached = (now, String(decoding: text[..<length], as: UTF8.self))
            }
            return cached.text
        }
    }
}
