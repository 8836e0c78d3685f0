import Foundation
import Synchronization

/// Runs the iterations of a small parallel loop on the calling thread and persistent worker threads that spin
/// between jobs for a short while before sleeping. A decode step is ~150 parallel regions of 0.1-1 ms each (one per
/// projection and layer); `DispatchQueue.concurrentPerform` parks its workers between them, and waking a parked
/// thread in a VM costs tens of microseconds per region. Here a worker that ran the previous region is still
/// spinning when the next one starts, so a hand-off is a cache-line round trip.
///
/// Iterations are taken one at a time from a shared counter, and a worker must join a job before it takes any: when
/// the caller has run out of iterations it closes the job, so a worker that was descheduled (a loaded machine) and
/// had not joined yet is never waited for; the caller then simply ran every iteration itself.
///
/// One job at a time: a call made while another runs (from a worker, or from a second thread) runs its iterations
/// on its own thread, in order, so nesting can never deadlock.
public final class ForkJoin: @unchecked Sendable {
    /// The process-wide pool, with one worker per core beyond the first.
    public static let shared = ForkJoin(workers: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle worker spins before it sleeps, and how long a caller spins for its workers before it
    /// yields its core: longer than the serial gaps inside a forward pass, far shorter than a scheduler tick.
    static let spinNanoseconds: UInt64 = 200_000

    private let workerCount: Int
    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)     // bumped once per job
    private let next = Atomic<Int>(0)           // the running job's next untaken iteration
    private let members = Atomic<Int>(0)        // generation << 8 | closed (128) | workers inside the job (< 128)
    private let sleepers = Mutex<Int>(0)         // workers blocked on `wake`
    private let wake = NSCondition()
    // The running job; written before `generation` is bumped (release) and read after it is seen (acquire).
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    private nonisolated(unsafe) var iterations = 0

    /// Starts `workers` threads that live as long as the process (so does the pool).
    init(workers: Int) {
        workerCount = workers
        for w in 0..<workers {
            let thread = Thread { self.workerLoop(index: w) }  // keeps the pool alive: workers never exit
            thread.name = "forkjoin-\(w)"
            thread.start()
        }
    }

    /// Threads a job can use: the caller plus the workers.
    public var threadCount: Int { workerCount + 1 }

    /// Calls `body(i)` for every i < `iterations` (on the calling thread and whichever workers join in time) and
    /// returns when all have returned.
    public func run(iterations n: Int, _ body: (Int) -> Void) {
        if n <= 0 { return }
        if n == 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            iterations = n
            next.store(0, ordering: .relaxed)
            let job = generation.load(ordering: .relaxed) + 1
            members.store(job << 8, ordering: .releasing)
            generation.store(job, ordering: .releasing)
            if sleepers.withLock({ $0 }) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            takeIterations(escaping, count: n)
            // No one joins from now on; wait for those inside (they are running, or were a moment ago).
            members.bitwiseOr(128, ordering: .acquiringAndReleasing)
            Self.spinThenYield { members.load(ordering: .acquiring) & 127 == 0 }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Waits for `done`: spins `spinNanoseconds`, then yields the core between checks (the partner may have been
    /// descheduled on a loaded machine).
    private static func spinThenYield(_ done: () -> Bool) {
        var start: UInt64 = 0
        var spins = 0
        while !done() {
            spins &+= 1
            if spins & 255 != 0 { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            if start == 0 {
                start = now
            } else if now - start > spinNanoseconds {
                sched_yield()
            }
        }
    }

    /// Runs iterations from the shared counter until none is left.
    private func takeIterations(_ body: (Int) -> Void, count n: Int) {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            if i >= n { return }
            body(i)
        }
    }

    /// Enters job `job` unless it is over or closed; true when the worker may take iterations (and must leave).
    private func join(job: Int) -> Bool {
        var current = members.load(ordering: .acquiring)
        while current >> 8 == job && current & 128 == 0 {
            let (exchanged, original) = members.compareExchange(expected: current, desired: current + 1,
                                                                ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    private func workerLoop(index w: Int) {
        var seen = 0
        while true {
            var start: UInt64 = 0
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins &+= 1
                if spins & 255 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if start == 0 { start = now; continue }
                if now - start < Self.spinNanoseconds { continue }
                // Sleep until the next job; registering under the condition's lock means a caller that bumps the
                // generation after our check sees us as a sleeper and signals.
                wake.lock()
                sleepers.withLock { $0 += 1 }
                while generation.load(ordering: .acquiring) == seen { wake.wait() }
                sleepers.withLock { $0 -= 1 }
                wake.unlock()
            }
            seen = generation.load(ordering: .acquiring)
            if join(job: seen) {
                if let body { takeIterations(body, count: iterations) }
                members.subtract(1, ordering: .releasing)
            }
        }
    }
}
