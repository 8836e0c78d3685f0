import Rewards
import Synchronization

/// Feeds the `grao_judge_*` counters from the counters every remote judge keeps (`RemoteJudge.Statistics`: HTTP
/// calls, items that failed, cache hits). A judge's counters only grow, and several requests may use one
/// registered judge at once, so after each scoring the feed adds what grew since it last looked at that judge
/// (read and remembered under one lock). A before/after difference per request would count overlapping
/// requests' calls twice.
final class JudgeStatisticsFeed: Sendable {
    /// The last counters seen of one judge. Weak: an inline spec's judge lives for one request; once it is gone
    /// its entry is dropped, and a new judge at the same address starts from zero.
    private struct Seen: Sendable {
        weak var judge: RemoteJudge?
        var statistics: RemoteJudge.Statistics
    }

    private let seen = Mutex<[ObjectIdentifier: Seen]>([:])

    /// Adds to `metrics` what each of `judges` did since it was last recorded (everything, the first time).
    func record(_ judges: [RemoteJudge], into metrics: APIMetrics) {
        guard !judges.isEmpty else { return }
        let grown = seen.withLock { seen -> [(name: String, calls: Int, failures: Int, cacheHits: Int)] in
            seen = seen.filter { $0.value.judge != nil }
            return judges.map { judge in
                let now = judge.statistics, key = ObjectIdentifier(judge)
                let before = seen[key].flatMap { $0.judge === judge ? $0.statistics : nil }
                seen[key] = Seen(judge: judge, statistics: now)
                return (judge.name, now.calls - (before?.calls ?? 0), now.failures - (before?.failures ?? 0),
                        now.cacheHits - (before?.cacheHits ?? 0))
            }
        }
        for g in grown {
            if g.calls > 0 { metrics.judgeCalls.increment([g.name], by: Double(g.calls)) }
            if g.failures > 0 { metrics.judgeFailures.increment([g.name], by: Double(g.failures)) }
            if g.cacheHits > 0 { metrics.judgeCacheHits.increment([g.name], by: Double(g.cacheHits)) }
        }
    }
}
