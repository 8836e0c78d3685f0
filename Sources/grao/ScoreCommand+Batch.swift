import API
import ArgumentParser
import Foundation
import Rewards
#if canImport(Glibc)
import Glibc
#endif

extension ScoreCommand {
    /// Scores every line of a JSONL file in one `score` call (so a remote judge sees the whole batch and its
    /// concurrency cap applies); prints one line per item, or a summary. Returns the number of failures.
    func runBatch(path: String) async throws -> Int {
        let model = try makeModel()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read items file \(path)")
        }
        var batch: [RewardItem] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            guard case .object(let o)? = try? JSONValue.parse(String(line)),
                  case .string(let p)? = o["prompt"], case .string(let c)? = o["completion"] else {
                throw ValidationError("\(path) line \(n + 1): expected {\"prompt\": string, \"completion\": string, \"reference\"?: string}")
            }
            var ref: String?
            if case .string(let r)? = o["reference"] { ref = r }
            batch.append(RewardItem(prompt: p, completion: c, reference: ref))
        }
        let cpuBefore = Self.cpuSeconds()
        let start = ContinuousClock.now
        let outcomes = await model.score(batch)
        let elapsed = ContinuousClock.now - start
        let cpuAfter = Self.cpuSeconds()
        let failed = outcomes.filter { $0.value == nil }.count
        if summary {
            let seconds = elapsed.inSeconds
            var out: [String: JSONValue] = [
                "items": .number(Double(batch.count)), "failed": .number(Double(failed)),
                "seconds": .number(seconds),
                "items_per_s": .number(seconds > 0 ? Double(batch.count) / seconds : 0),
                "cpu_user_s": .number(cpuAfter.user - cpuBefore.user),
                "cpu_system_s": .number(cpuAfter.system - cpuBefore.system),
            ]
            if let judge = model as? RemoteJudge {
                let st = judge.statistics
                out["calls"] = .number(Double(st.calls))
                out["retries"] = .number(Double(st.retries))
            }
            if let judge = model as? PairwiseModelJudge, let scorer = judge.scorer as? ModelLikelihoodScorer {
                let st = scorer.statistics
                out["model_calls"] = .number(Double(st.calls))
                out["model_queries"] = .number(Double(st.queries))
                out["model_tokens"] = .number(Double(st.fedTokens))
                out["model_head_rows"] = .number(Double(st.headRows))
            }
            print(JSONValue.object(out).text)
        } else {
            for o in outcomes { print(Self.render(o, reward: model.name)) }
        }
        return failed
    }

    /// User and system CPU time of this process so far (getrusage), seconds.
    static func cpuSeconds() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return (s(usage.ru_utime), s(usage.ru_stime))
    }
}
