import Foundation
import Synchronization
import Testing
@testable import LinearAlgebra

/// The fork-join pool runs every iteration exactly once, returns only after all of them, survives many jobs in a row
/// (the worker alternates between spinning and sleeping; a sleeping one is woken), and never deadlocks on nested or
/// concurrent calls.
@Suite struct ForkJoinTests {
    /// Per-iteration hit counts of one job, written from several threads.
    final class Hits: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Int>
        let n: Int
        let lock = NSLock()
        init(_ n: Int) {
            self.n = n
            counts = .allocate(capacity: n)
            counts.initialize(repeating: 0, count: n)
        }
        deinit { counts.deallocate() }
        func hit(_ i: Int) { lock.withLock { counts[i] += 1 } }
        var all: [Int] { (0..<n).map { counts[$0] } }
    }

    @Test(arguments: [1, 2, 3, 7])
    func everyIterationOnceAndDoneOnReturn(iterations n: Int) {
        let pool = ForkJoin.shared
        for _ in 0..<2000 {
            let hits = Hits(n)
            pool.run(iterations: n) { hits.hit($0) }
            #expect(hits.all == [Int](repeating: 1, count: n))
        }
    }

    /// Iteration 0 waits (up to 5 s) for iteration 1 to start, so it returns early only if another thread ran
    /// iteration 1 at the same time: a worker joined.
    static func rendezvous(_ pool: ForkJoin) -> Bool {
        let started = Atomic<Int>(0)
        let met = Mutex(false)
        pool.run(iterations: 2) { i in
            started.add(1, ordering: .sequentiallyConsistent)
            if i == 0 {
                let deadline = Date().addingTimeInterval(5)
                while started.load(ordering: .sequentiallyConsistent) < 2 && Date() < deadline {}
                met.withLock { $0 = started.load(ordering: .sequentiallyConsistent) == 2 }
            }
        }
        return met.withLock { $0 }
    }

    /// A pool of its own: the shared one may be busy with another test's job, and then runs a call inline.
    @Test func aWorkerJoins() {
        let pool = ForkJoin(workers: 1)
        #expect(Self.rendezvous(pool))
    }

    @Test func jobsAfterTheWorkerSlept() {
        let pool = ForkJoin(workers: 1)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.005)  // beyond the spin time: the worker is asleep and must be woken
            #expect(Self.rendezvous(pool))
        }
    }

    @Test func nestedCallsRunInline() {
        let hits = Hits(4)
        ForkJoin.shared.run(iterations: 2) { outer in
            ForkJoin.shared.run(iterations: 2) { inner in hits.hit(outer * 2 + inner) }
        }
        #expect(hits.all == [1, 1, 1, 1])
    }

    @Test func concurrentCallers() async {
        let hits = Hits(2 * 3 * 500)
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<2 {
                group.addTask {
                    for job in 0..<500 {
                        ForkJoin.shared.run(iterations: 3) { hits.hit((caller * 500 + job) * 3 + $0) }
                    }
                }
            }
        }
        #expect(hits.all == [Int](repeating: 1, count: 2 * 3 * 500))
    }
}
