import CCurl
import Foundation
import Synchronization

/// Owns the curl multi handle and the one thread that drives it. Callers hand transfers over through a locked
/// inbox and a `curl_multi_wakeup`; everything else (easy handles, the wait queue, the running set) is touched only
/// by the loop thread, so libcurl is never used from two threads at once.
final class CurlMultiLoop: @unchecked Sendable {
    private struct Inbox {
        var submitted: [CurlTransfer] = []
        var stopping = false
        /// Set when a caller cancels, so the loop scans for cancelled transfers only then.
        var cancelRequested = false
        var inFlight = 0
    }

    private let multi: UnsafeMutableRawPointer
    private let configuration: CurlClient.Configuration
    private let inbox = Mutex(Inbox())

    // Loop-thread state.
    private var waiting: [CurlTransfer] = []
    private var waitingHead = 0
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    /// Earliest `deadline` among queued transfers; the queue is scanned for expiry only once it has passed.
    private var earliestQueuedDeadline: ContinuousClock.Instant?

    init(configuration: CurlClient.Configuration) throws {
        guard let m = curl_multi_init() else {
            throw CurlClientError.transfer(code: -1, message: "curl_multi_init failed")
        }
        multi = m
        self.configuration = configuration
        // Keep enough idle connections for every concurrent slot so keep-alive connections are reused, not closed.
        grao_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, max(8, configuration.maxConcurrent))
        let thread = Thread { [self] in run() }
        thread.name = "grao.curl"
        thread.start()
    }

    /// Transfers queued or running (approximate: read without stopping the loop).
    var inFlight: Int { inbox.withLock { $0.inFlight } }

    func submit(_ transfer: CurlTransfer) {
        let refused = inbox.withLock { box -> Bool in
            if box.stopping { return true }
            box.submitted.append(transfer)
            box.inFlight += 1
            return false
        }
        if refused {
            transfer.finish(.failure(CurlClientError.shutdown))
        } else {
            wake()
        }
    }

    func wake() {
        curl_multi_wakeup(multi)
    }

    /// A caller cancelled: have the loop look for cancelled transfers.
    func wakeForCancellation() {
        inbox.withLock { $0.cancelRequested = true }
        wake()
    }

    func stop() {
        inbox.withLock { $0.stopping = true }
        wake()
    }

    private func run() {
        while true {
            let (arrived, stopping, cancelled) = inbox.withLock { box -> ([CurlTransfer], Bool, Bool) in
                let a = box.submitted
                box.submitted.removeAll(keepingCapacity: true)
                let c = box.cancelRequested
                box.cancelRequested = false
                return (a, box.stopping, c)
            }
            waiting.append(contentsOf: arrived)
            for t in arrived {
                if let d = t.request.deadline, earliestQueuedDeadline.map({ d < $0 }) ?? true { earliestQueuedDeadline = d }
            }
            if stopping {
                failEverything(with: CurlClientError.shutdown)
                break
            }
            // Scanning every queued transfer each turn costs more than the transfers themselves with thousands
            // queued: scan only after a cancellation or once the earliest queued deadline has passed.
            if cancelled || earliestQueuedDeadline.map({ $0 <= ContinuousClock.now }) == true {
                reapCancelledAndExpired()
            }
            startWaiting()
            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            collectFinished()
            // Sleep until socket activity, a wakeup, or the earliest queued deadline (at most 1 s).
            var pollMs: Int32 = 1000
            if waitingHead < waiting.count, let d = earliestQueuedDeadline {
                let left = d - ContinuousClock.now
                pollMs = Int32(max(1, min(1000, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)))
            }
            curl_multi_poll(multi, nil, 0, pollMs, nil)
        }
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
        curl_multi_cleanup(multi)
    }

    private func startWaiting() {
        while running.count < configuration.maxConcurrent, waitingHead < waiting.count {
            let t = waiting[waitingHead]
            waitingHead += 1
            var limit = t.timeout
            if let deadline = t.request.deadline { limit = min(limit, deadline - ContinuousClock.now) }
            let remainingMs = Int(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
            if remainingMs <= 0 {
                complete(t, .failure(CurlClientError.timeout("deadline passed while queued")))
                continue
            }
            guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
                complete(t, .failure(CurlClientError.transfer(code: -1, message: "curl_easy_init failed")))
                continue
            }
            do {
                try t.configure(easy, configuration: configuration, remainingMs: remainingMs)
            } catch {
                recycle(easy, of: t)
                complete(t, .failure(error))
                continue
            }
            running[easy] = t
            curl_multi_add_handle(multi, easy)
        }
        if waitingHead > 64, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let msg = curl_multi_info_read(multi, &left) {
            guard grao_msg_is_done(msg) != 0, let easy = msg.pointee.easy_handle, let t = running[easy] else { continue }
            let result = t.outcome(code: grao_msg_result(msg))
            running[easy] = nil
            curl_multi_remove_handle(multi, easy)
            recycle(easy, of: t)
            complete(t, result)
        }
    }

    private func reapCancelledAndExpired() {
        let now = ContinuousClock.now
        var removedAny = false
        for i in waitingHead..<waiting.count {
            let t = waiting[i]
            if t.cancelled.load(ordering: .acquiring) {
                complete(t, .failure(CancellationError()))
                removedAny = true
            } else if let deadline = t.request.deadline, deadline <= now {
                complete(t, .failure(CurlClientError.timeout("deadline passed while queued")))
                removedAny = true
            }
        }
        // Completed waiting transfers have a nil continuation; drop them from the queue.
        if removedAny {
            let keep = waiting[waitingHead...].filter { $0.continuation != nil }
            waiting = Array(keep)
            waitingHead = 0
        }
        earliestQueuedDeadline = waiting[waitingHead...].compactMap { $0.request.deadline }.min()
        for (easy, t) in running where t.cancelled.load(ordering: .acquiring) {
            running[easy] = nil
            curl_multi_remove_handle(multi, easy)
            recycle(easy, of: t)
            complete(t, .failure(CancellationError()))
        }
    }

    private func failEverything(with error: any Error) {
        for t in waiting[waitingHead...] { complete(t, .failure(error)) }
        waiting.removeAll()
        waitingHead = 0
        for (easy, t) in running {
            curl_multi_remove_handle(multi, easy)
            recycle(easy, of: t)
            complete(t, .failure(error))
        }
        running.removeAll()
        // Anything submitted after the last drain.
        let late = inbox.withLock { box -> [CurlTransfer] in
            let a = box.submitted
            box.submitted.removeAll()
            return a
        }
        for t in late { complete(t, .failure(error)) }
    }

    /// Resets an easy handle and keeps it for the next transfer (its DNS and TLS session caches stay warm);
    /// connections themselves live in the multi handle's pool.
    private func recycle(_ easy: UnsafeMutableRawPointer, of transfer: CurlTransfer) {
        transfer.releaseHeaders()
        transfer.easy = nil
        curl_easy_reset(easy)
        if idleHandles.count < configuration.maxConcurrent {
            idleHandles.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    private func complete(_ t: CurlTransfer, _ result: Result<HTTPClientResponse, any Error>) {
        guard t.continuation != nil else { return }
        inbox.withLock { $0.inFlight -= 1 }
        t.finish(result)
    }
}
