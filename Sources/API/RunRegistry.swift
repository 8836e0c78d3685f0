import Alignment
import Foundation
import HTTP
import Synchronization

/// The API's training runs: the Alignment `RunStore` on disk under `<data>/runs` (config, status, event log and
/// checkpoints of every run, interrupted ones marked so at start-up) plus the runs this process is driving.
/// One run is active at a time: it trains the server's one trainer, and a second run, a train step or a
/// checkpoint load in between would mix into its updates.
public final class RunRegistry: Sendable {
    /// Runs on disk.
    public let store: RunStore
    private let live = Mutex<[String: TrainingRun]>([:])

    /// Opens the store under `dataDirectory` (marking runs a previous process left running as interrupted).
    public init(dataDirectory: String) throws {
        do { store = try RunStore(dataDirectory: dataDirectory) } catch {
            throw StoreError.storage("cannot open the run store: \(error)")
        }
    }

    /// The run being driven by this process with `id`, if any (queued or running).
    public func liveRun(_ id: String) -> TrainingRun? { live.withLock { $0[id] } }

    /// The id of the active run, if one is queued or running. A run that has ended but whose task has not yet
    /// dropped it (the end event reaches subscribers first) does not count, and is dropped here.
    public func activeID() async -> String? {
        guard let (id, run) = live.withLock({ $0.first }) else { return nil }
        if await run.status.state.isTerminal {
            live.withLock { if $0[id] === run { $0[id] = nil } }
            return nil
        }
        return id
    }

    /// Refuses work that would interleave with an active run's updates.
    public func requireIdle(_ what: String) async throws {
        if let id = await activeID() {
            throw StoreError.conflict("run_active", "\(what) is refused while run '\(id)' is active; cancel it "
                                      + "(POST /v1/runs/\(id)/cancel) or wait for its end")
        }
    }

    /// Starts driving `run` in its own task (it survives the request that made it and client disconnects);
    /// refuses when another run is active.
    public func start(_ run: TrainingRun) async throws {
        _ = await activeID()  // drops a run that has just ended
        try live.withLock { runs in
            if let other = runs.keys.first {
                throw StoreError.conflict("run_active", "run '\(other)' is active; one run at a time trains the model")
            }
            runs[run.id] = run
        }
        Task.detached { [self] in
            await run.run()
            live.withLock { if $0[run.id] === run { $0[run.id] = nil } }
        }
    }

    /// Ends every run this process drives as `interrupted` with `reason` (the server is stopping): each is recorded
    /// so on disk, with its end event sent to its followers, before this returns; work of theirs still on the engine
    /// is abandoned. A restart then finds them interrupted with their metrics and checkpoints.
    public func interruptAll(reason: String) async {
        for run in live.withLock({ Array($0.values) }) { await run.interrupt(reason: reason) }
    }

    /// A run's current status and config: the live one's when it is active, else what is on disk; 404 when none.
    public func describe(_ id: String) async throws -> (status: RunStatus, config: RunConfig) {
        if let run = liveRun(id) { return (await run.status, run.config) }
        guard let stored = try? store.run(id: id) else { throw StoreError.notFound("run", id) }
        return (stored.status, stored.config)
    }

    /// Every run on disk, oldest first, with live statuses for active ones.
    public func list() async throws -> [(status: RunStatus, config: RunConfig)] {
        var result: [(RunStatus, RunConfig)] = []
        for stored in try store.runs() {
            if let run = liveRun(stored.id) { result.append((await run.status, stored.config)) } else {
                result.append((stored.status, stored.config))
            }
        }
        return result
    }
}
