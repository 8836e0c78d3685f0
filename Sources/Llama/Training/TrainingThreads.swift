import Dispatch
import LinearAlgebra
import Synchronization

/// Runs the independent pieces of a training pass (attention per sequence and KV head, row ranges of the
/// element-wise layers) on `BLAS.threadCount` worker threads at once.
///
/// Attention's products are small (e.g. 64×256×64): split over OpenBLAS's two threads each call pays a
/// synchronisation for little work, and the softmax between the calls runs on one core. Giving each worker
/// whole tasks and OpenBLAS one thread per call keeps both cores busy with no hand-off inside a product.
/// OpenBLAS's thread count is process-wide, so it is lowered to 1 while any such section runs and restored
/// when the last one ends (counted, so overlapping sections from different callers cannot leave it at 1);
/// a product started elsewhere meanwhile only runs on one thread (slower, never wrong).
enum TrainingThreads {
    /// Sections running, and the OpenBLAS thread count to restore when none is.
    private static let singleThreaded = Mutex<(active: Int, saved: Int)>((0, 0))

    /// Set while a worker runs one share of a data-parallel pass (`shares`): the other workers are busy
    /// with the other shares, so everything inside runs on this thread alone.
    @TaskLocal static var withinShare = false

    /// Workers a pass splits its tasks over: OpenBLAS's thread count outside a single-threaded section,
    /// the count it will get back inside one, and 1 within a share of a data-parallel pass.
    static var workers: Int {
        if withinShare { return 1 }
        return max(1, singleThreaded.withLock { $0.active > 0 ? $0.saved : BLAS.threadCount })
    }

    /// Runs `body` with OpenBLAS single-threaded, restoring its thread count when the last overlapping
    /// section ends. A training pass runs whole in one section: its products are split by `gemm` over
    /// the workers, so OpenBLAS's own threads stay asleep instead of spinning between calls.
    static func singleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        singleThreaded.withLock { state in
            if state.active == 0 {
                state.saved = BLAS.threadCount
                if state.saved != 1 { BLAS.threadCount = 1 }
            }
            state.active += 1
        }
        defer {
            singleThreaded.withLock { state in
                state.active -= 1
                if state.active == 0 && state.saved != 1 { BLAS.threadCount = state.saved }
            }
        }
        return try body()
    }

    /// Calls `body(worker)` for every worker in `0..<workers` concurrently (inline when there is one), with
    /// OpenBLAS single-threaded while they run.
    static func run(workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 { return body(0) }
        singleThreadedBLAS {
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
            }
        }
    }

    /// Runs `body(share)` for every share in `0..<count` at once, one worker each, with every split inside a
    /// share (products, row loops, attention) run inline on that worker. Waits for all; the first error
    /// thrown (in share order) is rethrown.
    static func shares(_ count: Int, _ body: (Int) throws -> Void) throws {
        let errors = Mutex<[Int: any Error]>([:])
        run(workers: count) { share in
            $withinShare.withValue(true) {
                do { try body(share) } catch { errors.withLock { $0[share] = error } }
            }
        }
        if let first = errors.withLock({ $0.min { $0.key < $1.key }?.value }) { throw first }
    }

    /// Adds each source into its destination and clears the source (the reduction of a data-parallel
    /// backward pass: a share's private gradients go into the shared ones and are left zero for the next
    /// pass), split over the workers by element ranges. Pairs must have equal counts.
    static func absorb(_ pairs: [(into: FloatBuffer, from: FloatBuffer)]) {
        for (dst, src) in pairs {
            precondition(dst.count == src.count, "absorb: \(dst.count) vs \(src.count) elements")
            nonisolated(unsafe) let d = dst.pointer, s = src.pointer
            let blocks = (src.count + 4095) / 4096
            rows(blocks, minimum: 16) { _, range in
                let lo = range.lowerBound * 4096, hi = min(range.upperBound * 4096, src.count)
                for i in lo..<hi { d[i] += s[i] }
                (s + lo).update(repeating: 0, count: hi - lo)
            }
        }
    }

    /// Splits `0..<count` rows into at most `workers` contiguous ranges and runs `body(part, range)` on each
    /// concurrently (`part` < `workers`, for per-part partial sums). For element-wise layers only (no BLAS
    /// inside); below `minimum` rows it runs inline as part 0.
    static func rows(_ count: Int, minimum: Int = 64, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
        let w = count >= minimum ? workers : 1
        if w <= 1 { return body(0, 0..<count) }
        let per = (count + w - 1) / w
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: w) { t in
                let lo = min(t * per, count), hi = min(lo + per, count)
                if lo < hi { body(t, lo..<hi) }
            }
        }
    }
}
