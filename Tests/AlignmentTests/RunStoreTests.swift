import Foundation
import Testing
@testable import Alignment
@testable import Llama

/// Runs on disk: a full round trip through a reopened store, torn event lines, runs interrupted by a crash,
/// atomic status writes, and ids.
@Suite struct RunStoreTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grao-runs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Drops every event after the first `limit`, as if the process died there.
    struct DyingRecorder: RunRecorder {
        let journal: RunJournal
        let limit: Int
        func record(_ event: RunEvent, status: RunStatus) throws {
            if event.sequence < limit { try journal.record(event, status: status) }
        }
    }

    static func run(in store: RunStore, steps: Int = 3, recorder: ((RunJournal) -> any RunRecorder)? = nil)
        async throws -> (TrainingRun, RunJournal) {
        var config = TrainingRunTests.config(steps: steps)
        config.checkpointEvery = 2
        config.labels = ["dataset": "toy"]
        let (journal, _) = try store.create(config: config)
        let trainer = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try config.trainerConfig())
        let run = try TrainingRun(id: journal.id, config: config, trainer: trainer, codec: ToyCodec(),
                                  examples: TrainingRunTests.examples, reward: TrainingRunTests.reward,
                                  evaluation: { step in ["step_seen": Double(step)] }, clock: TrainingRunTests.clock(),
                                  recorder: recorder?(journal) ?? journal,
                                  checkpoints: RunCheckpoints(directory: journal.checkpointsDirectory, baseModelSHA256: "base"))
        await run.run()
        return (run, journal)
    }

    @Test func aFinishedRunReadsBackAfterReopening() async throws {
        let data = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (run, journal) = try await Self.run(in: try RunStore(dataDirectory: data))
        let reopened = try RunStore(dataDirectory: data)
        #expect(reopened.warnings.isEmpty)
        let runs = try reopened.runs()
        #expect(runs.count == 1 && runs[0].id == journal.id)
        #expect(runs[0].config == run.config && runs[0].config.labels == ["dataset": "toy"])
        #expect(runs[0].status == (await run.status) && runs[0].status.state == .completed)
        #expect(try reopened.events(id: journal.id) == (await run.history))
        #expect(try reopened.events(id: journal.id).compactMap(\.record).map(\.step) == [1, 2, 3])
        // Checkpoints at step 2 (every 2) and 3 (the end), loadable.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: journal.checkpointsDirectory).sorted()
        #expect(checkpoints == ["step-2", "step-3"])
        #expect(runs[0].status.lastCheckpoint == journal.checkpointsDirectory + "/step-3")
        let fresh = try PolicyTrainer(model: try PolicyTrainerTests.model(), config: try run.config.trainerConfig())
        #expect(try Checkpoint.load(into: fresh, from: journal.checkpointsDirectory + "/step-3", baseModelSHA256: "base").step == 3)
    }

    @Test func aRunCutShortIsMarkedInterruptedWithItsMetricsAndCheckpoints() async throws {
        let data = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // The process "dies" after 6 events: running, evaluation 0, step 1, step 2, evaluation 2, checkpoint 2.
        let (_, journal) = try await Self.run(in: try RunStore(dataDirectory: data), steps: 4) {
            DyingRecorder(journal: $0, limit: 6)
        }
        #expect(try RunStore(dataDirectory: data).run(id: journal.id)?.status.state == .interrupted)
        let stored = try #require(try RunStore(dataDirectory: data).run(id: journal.id))
        #expect(stored.status.reason == "the process stopped while the run was running")
        #expect(stored.status.step == 2 && stored.status.lastStep?.step == 2)
        let events = try RunStore(dataDirectory: data).events(id: journal.id)
        #expect(events.map(\.kind) == [.state, .evaluation, .step, .step, .evaluation, .checkpoint, .state, .end])
        #expect(events.map(\.sequence) == Array(0..<8))
        #expect(events.last?.state == .interrupted)
        #expect(FileManager.default.fileExists(atPath: journal.checkpointsDirectory + "/step-2/grao_checkpoint.json"))
    }

    @Test func aTornLastLineIsDroppedWithAWarning() async throws {
        let data = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (run, journal) = try await Self.run(in: try RunStore(dataDirectory: data))
        let log = journal.directory + "/events.jsonl"
        let intact = try Data(contentsOf: URL(fileURLWithPath: log))
        // A crash mid-append, while the status still said running.
        try AtomicFile.append(Data(#"{"kind":"step","sequ"#.utf8), to: log)
        var status = await run.status
        status.state = .running
        try journal.writeStatus(status)
        let reopened = try RunStore(dataDirectory: data)
        #expect(reopened.warnings.count == 1 && reopened.warnings[0].contains("torn last line"), "\(reopened.warnings)")
        let events = try reopened.events(id: journal.id)
        #expect(Array(events.prefix(events.count - 2)) == (await run.history))
        #expect(events.suffix(2).map(\.kind) == [.state, .end] && events.last?.state == .interrupted)
        // The torn bytes are gone, so the log is whole lines again.
        let repaired = try Data(contentsOf: URL(fileURLWithPath: log))
        #expect(repaired.starts(with: intact) && repaired.last == UInt8(ascii: "\n"))
        #expect(try RunStore(dataDirectory: data).warnings.isEmpty)
    }

    @Test func statusWritesReplaceTheFileWhole() throws {
        let data = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let store = try RunStore(dataDirectory: data)
        let (journal, status) = try store.create(config: RunConfig(steps: 2))
        let path = journal.directory + "/status.json"
        func inode() throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as! Int }
        let before = try inode()
        var next = status
        next.step = 1
        try journal.writeStatus(next)
        #expect(try inode() != before, "a new file renamed over the old one, never an in-place rewrite")
        #expect(try JSONDecoder().decode(RunStatus.self, from: Data(contentsOf: URL(fileURLWithPath: path))) == next)
        #expect(try FileManager.default.contentsOfDirectory(atPath: journal.directory).sorted() == ["config.json", "status.json"])
        // A temp file left by a crash before its rename does not disturb reopening.
        try Data("{garbage".utf8).write(to: URL(fileURLWithPath: path + ".tmp-99999"))
        let reopened = try RunStore(dataDirectory: data)
        #expect(try reopened.run(id: journal.id)?.status.step == 1)
        #expect(try reopened.run(id: journal.id)?.status.state == .interrupted, "it was queued when the process went")
    }

    @Test func idsAreUniqueAndURLSafe() throws {
        let data = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let store = try RunStore(dataDirectory: data, clock: { Date(timeIntervalSince1970: 1_800_000_000) })
        let ids = try (0..<20).map { _ in try store.create(config: RunConfig(steps: 1)).journal.id }
        #expect(Set(ids).count == 20)
        #expect(ids.allSatisfy { RunStore.isValidID($0) && $0.hasPrefix("run-20270115-080000-") })
        #expect(try store.run(id: "../../etc") == nil)
        #expect(try store.run(id: "run-none") == nil)
        #expect(try store.runs().count == 20)
    }
}
