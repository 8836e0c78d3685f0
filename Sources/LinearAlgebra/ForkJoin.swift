import Foundation
import Synchronization

/// Runs the iterations of a small parallel loop on the calling thread and persistent worker threads that spin
/// between jobs for a short while before sleeping. A decode step is ~150 parallel regions of 0.1-1 ms each (one per
/// projection and layer); `DispatchQueue.concurrentPerform` parks its workers between them, and waking a parked
/// thread in a VM costs tens of microseconds per region. Here a worker that ran the previous region is still
/// spinning when the next one starts, so a hand-off is a cache-line round trip.
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
    private let completions = Atomic<Int>(0)    // jobs finished, summed over workers: generation · workers when idle
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

    /// Calls `body(i)` for every i < `iterations`, i = 0 on the calling thread, and returns when all have returned.
    /// Iteration i runs on thread i % `threadCount`.
    public func run(iterations n: Int, _ body: (Int) -> Void) {
        if n <= 0 { return }
        if n == 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            iterations = n
            let job = generation.add(1, ordering: .releasing).newValue
            if sleepers.withLock({ $0 }) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            for i in stride(from: 0, to: n, by: threadCount) { escaping(i) }
            // Every worker, even one without an iteration: it must not read the next job's fields late.
            let total = job * workerCount
            Self.spinThenYield { completions.load(ordering: .acquiring) == total }
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
            if let body, w + 1 < iterations {
                for i in stride(from: w + 1, to: iterations, by: threadCount) { body(i) }
            }
            completions.add(1, ordering: .releasing)
        }
    }
}
