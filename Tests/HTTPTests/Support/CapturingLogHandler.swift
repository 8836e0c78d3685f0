import Logging
import Synchronization

/// Collects log records in memory so tests can check what the server logged.
struct CapturingLogHandler: LogHandler {
    final class Store: Sendable {
        let records = Mutex<[(level: Logger.Level, message: String, metadata: [String: String])]>([])
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.records.withLock { $0.append((event.level, "\(event.message)", merged.mapValues { "\($0)" })) }
    }
}
