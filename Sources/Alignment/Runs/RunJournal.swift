import Foundation

/// One run's files under the store: `config.json`, `status.json` (replaced atomically on every change),
/// `events.jsonl` (one event per line, appended and fsynced) and `checkpoints/step-N`. The run's recorder.
public final class RunJournal: RunRecorder, @unchecked Sendable {
    public let id: String
    /// `<data>/runs/<id>`.
    public let directory: String
    /// `<data>/runs/<id>/checkpoints`, for `RunCheckpoints`.
    public var checkpointsDirectory: String { path("checkpoints") }

    private let lock = NSLock()

    init(id: String, directory: String) {
        self.id = id
        self.directory = directory
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Appends the event, then replaces the status: a crash between the two leaves a status one event behind,
    /// which reopening the store tolerates.
    public func record(_ event: RunEvent, status: RunStatus) throws {
        try lock.withLock {
            var line = try RunStore.encoder.encode(event)
            line.append(UInt8(ascii: "\n"))
            try AtomicFile.append(line, to: path(RunStore.eventsFile))
            try writeStatus(status)
        }
    }

    func writeStatus(_ status: RunStatus) throws {
        try AtomicFile.write(try RunStore.encoder.encode(status), to: path(RunStore.statusFile))
    }
}
