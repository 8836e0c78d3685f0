import Foundation
import Synchronization
import Testing
@testable import LinearAlgebra

/// The fork-join pool runs every iteration exactly once, returns only after all of them, survives many jobs in a row
/// (the worker alternates between spinning and sleeping), and never deadlocks on nested or concurrent calls.
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

    /// A pool of its own: the shared one may be busy with another test's job, and then runs a call inline.
    @Test func iterationsSpreadOverThreads() {
        let pool = ForkJoin(workers: 2)
        let threads = Mutex<[Int: String]>([:])
        pool.run(iterations: 6) { i in
            let name = Thread.current.name ?? ""
            threads.withLock { $0[i] = name.hasPrefix("forkjoin") ? name : "caller" }
        }
        let names = threads.withLock { $0 }
        #expect(names == [0: "caller", 1: "forkjoin-0", 2: "forkjoin-1", 3: "caller", 4: "forkjoin-0", 5: "forkjoin-1"])
    }

    @Test func jobsAfterTheWorkerSlept() {
        let pool = ForkJoin(workers: 1)
        let hits = Hits(2)
        let workerRan = Mutex(0)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.005)  // beyond the spin time: the worker is asleep
            pool.run(iterations: 2) { i in
                hits.hit(i)
                if Thread.current.name == "forkjoin-0" { workerRan.withLock { $0 += 1 } }
            }
        }
        #expect(hits.all == [3, 3])
        #expect(workerRan.withLock { $0 } == 3)
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
