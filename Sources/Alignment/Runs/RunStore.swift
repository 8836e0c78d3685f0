import Foundation

/// A run as found on disk.
public struct StoredRun: Sendable, Equatable {
    public var id: String
    public var config: RunConfig
    public var status: RunStatus
    /// `<data>/runs/<id>`.
    public var directory: String
}

/// Training runs persisted under a data directory: `runs/<id>/config.json`, `status.json`, `events.jsonl`,
/// `checkpoints/step-N`. Opening the store scans every run; one found queued or running (the process stopped
/// under it) is marked interrupted, with its events and checkpoints kept. A torn last line of an event log (a
/// crash mid-append) is dropped with a warning.
public final class RunStore: @unchecked Sendable {
    static let configFile = "config.json", statusFile = "status.json", eventsFile = "events.jsonl"
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// The data directory.
    public let dataDirectory: String
    /// `<data>/runs`.
    public let runsDirectory: String
    /// Problems found when opening (torn or unreadable lines, unreadable runs), one sentence each.
    public private(set) var warnings: [String] = []
    let clock: @Sendable () -> Date

    /// Opens (creating if needed) the store under `dataDirectory` and marks runs left queued or running as interrupted.
    public init(dataDirectory: String, clock: @escaping @Sendable () -> Date = { Date() }) throws {
        self.dataDirectory = dataDirectory
        self.runsDirectory = (dataDirectory as NSString).appendingPathComponent("runs")
        self.clock = clock
        do { try FileManager.default.createDirectory(atPath: runsDirectory, withIntermediateDirectories: true) } catch {
            throw AlignmentError.invalidTraining("cannot create run store '\(runsDirectory)': \(error)")
        }
        for id in try runIDs() { try recover(id) }
    }

    /// Whether `id` has the shape this store gives ids (so it can never name a path outside the store).
    public static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// A new run's directory with its config and a queued status; returns its journal (the run's recorder) and status.
    public func create(config: RunConfig) throws -> (journal: RunJournal, status: RunStatus) {
        try config.validate()
        let now = clock()
        let stamp = Self.stamp(now)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 {
            let id = "run-\(stamp)-" + String(UInt32.random(in: 0...UInt32.max, using: &generator), radix: 16)
            let directory = (runsDirectory as NSString).appendingPathComponent(id)
            // mkdir fails when the id is taken: that is the uniqueness check, race-free.
            guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)) != nil else {
                continue
            }
            let journal = RunJournal(id: id, directory: directory)
            let status = RunStatus(id: id, totalSteps: config.steps, createdAt: now.timeIntervalSince1970)
            try AtomicFile.write(try Self.encoder.encode(config), to: journal.path(Self.configFile))
            try journal.writeStatus(status)
            try AtomicFile.syncDirectory(runsDirectory)
            return (journal, status)
        }
        throw AlignmentError.invalidTraining("could not find a free run id under '\(runsDirectory)'")
    }

    /// Every run on disk, oldest first.
    public func runs() throws -> [StoredRun] {
        try runIDs().compactMap { try? load($0) }.sorted { ($0.status.createdAt, $0.id) < ($1.status.createdAt, $1.id) }
    }

    /// One run, or nil when there is none with this id (or the id is malformed).
    public func run(id: String) throws -> StoredRun? {
        guard Self.isValidID(id), FileManager.default.fileExists(atPath: directory(of: id)) else { return nil }
        return try load(id)
    }

    /// A run's event log; a torn last line or an undecodable line is skipped (see `warnings` from opening).
    public func events(id: String) throws -> [RunEvent] {
        guard Self.isValidID(id) else { throw AlignmentError.invalidTraining("malformed run id '\(id)'") }
        return try readEvents(id).events
    }

    /// The journal of an existing run (e.g. to keep appending after a reload); nil when there is no such run.
    public func journal(id: String) -> RunJournal? {
        guard Self.isValidID(id), FileManager.default.fileExists(atPath: directory(of: id)) else { return nil }
        return RunJournal(id: id, directory: directory(of: id))
    }

    func directory(of id: String) -> String { (runsDirectory as NSString).appendingPathComponent(id) }

    func runIDs() throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: runsDirectory) } catch {
            throw AlignmentError.invalidTraining("cannot list '\(runsDirectory)': \(error)")
        }
        return names.filter { Self.isValidID($0) && FileManager.default.fileExists(atPath: directory(of: $0) + "/" + Self.configFile) }
            .sorted()
    }

    func load(_ id: String) throws -> StoredRun {
        let dir = directory(of: id)
        func read<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
            let path = (dir as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AlignmentError.invalidTraining("run \(id): cannot read \(name)")
            }
            do { return try JSONDecoder().decode(type, from: data) } catch {
                throw AlignmentError.invalidTraining("run \(id): unreadable \(name): \(error)")
            }
        }
        return StoredRun(id: id, config: try read(RunConfig.self, Self.configFile),
                         status: try read(RunStatus.self, Self.statusFile), directory: dir)
    }

    /// Events of a run's log, and the byte length of its intact prefix (up to the last complete line).
    func readEvents(_ id: String) throws -> (events: [RunEvent], intactBytes: Int, warnings: [String]) {
        let path = (directory(of: id) as NSString).appendingPathComponent(Self.eventsFile)
        guard let data = FileManager.default.contents(atPath: path) else { return ([], 0, []) }
        var events: [RunEvent] = [], warnings: [String] = []
        let intact = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        if intact < data.count {
            warnings.append("run \(id): ignored a torn last line of \(Self.eventsFile) (\(data.count - intact) bytes)")
        }
        let lines = data[..<intact].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() where !line.isEmpty {
            do { events.append(try JSONDecoder().decode(RunEvent.self, from: Data(line))) } catch {
                warnings.append("run \(id): \(Self.eventsFile):\(n + 1) is not a readable event, skipped")
            }
        }
        return (events, intact, warnings)
    }

    /// Opening: drops a torn tail from the log (so later appends start on a fresh line) and marks a run that
    /// was queued or running as interrupted, logging the state change and the end.
    func recover(_ id: String) throws {
        let (events, intact, found) = try readEvents(id)
        warnings += found
        let path = (directory(of: id) as NSString).appendingPathComponent(Self.eventsFile)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > intact {
            truncate(path, off_t(intact))
        }
        var stored: StoredRun
        do { stored = try load(id) } catch {
            warnings.append("\(error)")
            return
        }
        guard !stored.status.state.isTerminal else { return }
        let journal = RunJournal(id: id, directory: stored.directory)
        let previous = stored.status.state
        let now = clock().timeIntervalSince1970
        stored.status.state = .interrupted
        stored.status.reason = "the process stopped while the run was \(previous.rawValue)"
        stored.status.endedAt = now
        // The log may be one step ahead of the status (a crash between the two writes): take its step.
        if let last = events.last(where: { $0.kind == .step })?.record, last.step > stored.status.step {
            stored.status.step = last.step
            stored.status.lastStep = last
        }
        let next = (events.last?.sequence ?? -1) + 1
        var change = RunEvent(sequence: next, kind: .state, time: now, step: stored.status.step)
        change.state = .interrupted
        change.reason = stored.status.reason
        var end = change
        end.sequence = next + 1
        end.kind = .end
        try journal.record(change, status: stored.status)
        try journal.record(end, status: stored.status)
    }

    /// UTC time as yyyyMMdd-HHmmss, for readable, sortable ids.
    static func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
