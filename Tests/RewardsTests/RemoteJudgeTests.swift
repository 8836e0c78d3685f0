import CurlClient
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Rewards

/// Collects every log line with its metadata, to prove secrets never reach a log.
final class CapturedLogs: Sendable {
    let lines = Mutex<[String]>([])
    var all: String { lines.withLock { $0.joined(separator: "\n") } }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        sink.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

/// A running judge plus helpers to build specs against it and read its counters.
struct JudgeFixture {
    let server: JudgeServerProcess
    let client: CurlClient
    let logs = CapturedLogs()

    static func start(_ flags: [String] = []) async throws -> JudgeFixture {
        JudgeFixture(server: try await JudgeServerProcess.start(flags), client: try CurlClient())
    }

    func judge(_ fields: String, environment: [String: String] = [:]) throws -> RemoteJudge {
        let logs = self.logs
        let context = RewardContext(logger: Logger(label: "judge") { _ in CapturingLogHandler(sink: logs) },
                                    seed: 42, environment: { environment[$0] })
        let spec = "{\"type\": \"score_model\", \(fields)}".replacingOccurrences(of: "BASE", with: server.baseURL)
        return try #require(try RewardSpec.makeReward(json: spec, context: context) as? RemoteJudge)
    }

    func control(_ json: String) async throws {
        let r = try await client.send(HTTPClientRequest(method: "POST", url: server.baseURL + "/control", body: Array(json.utf8)))
        #expect(r.status == 200)
    }

    struct Stats: Decodable {
        let total: Int
        let max_in_flight: Int
    }

    func stats() async throws -> Stats {
        let r = try await client.send(HTTPClientRequest(url: server.baseURL + "/stats"))
        return try JSONDecoder().decode(Stats.self, from: Data(r.body))
    }
}

func items(_ completions: [String], reference: String? = nil) -> [RewardItem] {
    completions.map { RewardItem(prompt: "Q: ", completion: $0, reference: reference) }
}

/// Fast retries so tests stay short.
let fast = #""backoff_ms": 10, "max_backoff_ms": 50"#

@Suite struct RemoteJudgeTests {
    @Test func graoBatchScoresComponentsAndPerItemErrors() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "range": [0, 1]"#)
        let out = await judge.score(items(["0.7", "Paris", "!error", "Rome"], reference: "Paris"))
        #expect(out[0] == .score(RewardScore(0.7, components: ["length": 3])))
        #expect(out[1] == .score(RewardScore(1, components: ["length": 5])))
        #expect(out[2].failure?.kind == .judgeError)
        #expect(out[3].value == 0)
        #expect(try await f.stats().total == 1, "four items, one batch request")
    }

    @Test func retryThenSuccess() async throws {
        let f = try await JudgeFixture.start(["--fail-500", "2"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "max_retries": 3, \#(fast)"#)
        let out = await judge.score(items(["0.5"]))
        #expect(out == [.score(RewardScore(0.5, components: ["length": 3]))])
        #expect(try await f.stats().total == 3)
        #expect(judge.statistics.retries == 2)
    }

    @Test func retriesExhaustedIsAFailure() async throws {
        let f = try await JudgeFixture.start(["--fail-500", "10"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "max_retries": 2, \#(fast)"#)
        let out = await judge.score(items(["0.5", "0.6"]))
        #expect(out.allSatisfy { $0.failure?.kind == .httpStatus })
        #expect(out[0].failure?.reason.contains("after 2 retries") == true)
        #expect(try await f.stats().total == 3)
        #expect(judge.statistics.failures == 2)
    }

    @Test func clientErrorsAreNotRetried() async throws {
        let f = try await JudgeFixture.start(["--fail-400", "5"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "max_retries": 3, \#(fast)"#)
        let out = await judge.score(items(["0.5"]))
        #expect(out[0].failure?.kind == .httpStatus)
        #expect(out[0].failure?.reason.contains("HTTP 400") == true)
        #expect(try await f.stats().total == 1)
    }

    @Test func retryAfterIsHonouredOn429() async throws {
        // Backoff alone (5 s) would pass the 3 s batch deadline; Retry-After (0.1 s) lets the retry happen.
        let f = try await JudgeFixture.start(["--fail-429", "1", "--retry-after", "0.1"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "backoff_ms": 5000, "max_backoff_ms": 5000, "batch_timeout_ms": 3000"#)
        let out429 = await judge.score(items(["0.5"]))
        #expect(out429[0].value == 0.5, "\(out429)")
        #expect(try await f.stats().total == 2)
        // Without a usable Retry-After the 5 s backoff would overrun the deadline: a deadline failure, not a wait.
        try await f.control(#"{"fail_429": 1, "retry_after": "soon"}"#)
        let out = await judge.score(items(["0.25"]))
        #expect(out[0].failure?.kind == .deadline)
    }

    @Test func slowJudgeTimesOut() async throws {
        let f = try await JudgeFixture.start(["--delay-ms", "2000"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "timeout_ms": 150, "max_retries": 1, \#(fast)"#)
        let out = await judge.score(items(["0.5"]))
        #expect(out[0].failure?.kind == .transport)
        #expect(out[0].failure?.reason.contains("timeout") == true)
        #expect(judge.statistics.calls == 2, "a timeout is retried")
    }

    @Test func batchDeadlineBoundsTheWholeCall() async throws {
        let f = try await JudgeFixture.start(["--delay-ms", "2000"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "batch_size": 1, "batch_timeout_ms": 200, "max_retries": 5, \#(fast)"#)
        let start = ContinuousClock.now
        let out = await judge.score(items(["0.1", "0.2", "0.3"]))
        #expect(out.allSatisfy { $0.failure != nil })
        #expect(ContinuousClock.now - start < .seconds(1.5), "the batch deadline cut the 2 s replies short")
    }

    @Test func circuitBreakerFailsFastThenProbes() async throws {
        let f = try await JudgeFixture.start(["--fail-500", "2"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "max_retries": 0, "breaker_failures": 2, "breaker_cooldown_ms": 300"#)
        #expect(await judge.score(items(["0.1"]))[0].failure?.kind == .httpStatus)
        #expect(await judge.score(items(["0.2"]))[0].failure?.kind == .httpStatus)
        let fastFail = await judge.score(items(["0.3"]))
        #expect(fastFail[0].failure?.kind == .circuitOpen)
        #expect(try await f.stats().total == 2, "an open breaker sends nothing")
        #expect(judge.statistics.breakerOpenings == 1)
        try await Task.sleep(for: .milliseconds(400))
        #expect(await judge.score(items(["0.4"]))[0].value == 0.4, "the probe succeeds and closes the breaker")
        #expect(judge.breakerState == .closed(consecutiveFailures: 0))
    }

    @Test func requestsPerMinuteCapHolds() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "batch_size": 1, "max_rpm": 2, "batch_timeout_ms": 2000"#)
        let out = await judge.score(items(["0.1", "0.2", "0.3"]))
        #expect(out.filter { $0.value != nil }.count == 2)
        #expect(out.contains { $0.failure?.reason.contains("requests-per-minute") == true })
        #expect(try await f.stats().total == 2, "the third call would have waited a minute: it was never sent")
    }

    @Test func repeatedItemsComeFromTheCache() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao""#)
        let batch = items(["0.5", "0.9"], reference: "r")
        let first = await judge.score(batch)
        let second = await judge.score(batch)
        #expect(first == second)
        #expect(try await f.stats().total == 1)
        #expect(judge.statistics.cacheHits == 2)
        #expect(judge.cacheHits(for: batch[0]) == 1)
        // A different reference is a different key.
        _ = await judge.score(items(["0.5"], reference: "other"))
        #expect(try await f.stats().total == 2)
    }

    @Test func failuresAreNotCached() async throws {
        let f = try await JudgeFixture.start(["--fail-400", "1"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao""#)
        #expect(await judge.score(items(["0.5"]))[0].failure != nil)
        #expect(await judge.score(items(["0.5"]))[0].value == 0.5)
    }

    @Test func concurrencyCapHoldsAtTheServer() async throws {
        let f = try await JudgeFixture.start(["--delay-ms", "30"])
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "batch_size": 1, "max_concurrency": 4"#)
        let out = await judge.score(items((0..<24).map { "0.\($0)" }))
        #expect(out.allSatisfy { $0.value != nil })
        let stats = try await f.stats()
        #expect(stats.total == 24)
        #expect(stats.max_in_flight <= 4)
        #expect(stats.max_in_flight >= 2, "calls really overlapped")
    }

    @Test func badRepliesAreMaskedFailuresWithReasons() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "range": [0, 1], "cache_size": 0"#)
        try await f.control(#"{"garbage": 1}"#)
        let garbage = await judge.score(items(["0.5", "0.6"]))
        #expect(garbage.allSatisfy { $0.failure?.reason.contains("not valid JSON") == true })
        try await f.control(#"{"nan": 1}"#)
        #expect(await judge.score(items(["0.5"]))[0].failure?.kind == .invalidReply)
        try await f.control(#"{"short": 1}"#)
        let short = await judge.score(items(["0.5", "0.6"]))
        #expect(short.allSatisfy { $0.failure?.reason.contains("1 results for 2 items") == true })
        let outOfRange = await judge.score(items(["5", "0.5"]))
        #expect(outOfRange[0].failure?.reason.contains("outside [0.0, 1.0]") == true)
        #expect(outOfRange[1].value == 0.5, "one bad score does not sink the batch")
    }

    @Test func openRLHFListsAndScalars() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#""protocol": "openrlhf", "url": "BASE/get_reward", "batch_size": 4, "cache_size": 0"#)
        let out = await judge.score(items(["0.25", "yes", "no"], reference: "yes"))
        #expect(out.map(\.value) == [0.25, 1, 0])
        try await f.control(#"{"scalar": true}"#)
        let single = try f.judge(#""protocol": "openrlhf", "url": "BASE/get_reward", "cache_size": 0"#)
        #expect(await single.score(items(["0.75"]))[0].value == 0.75)
        try await f.control(#"{"short": 1, "scalar": false}"#)
        #expect(await judge.score(items(["1", "2"]))[0].failure?.reason.contains("1 rewards for 2 items") == true)
    }

    @Test func openAIChatParsesStrictly() async throws {
        let f = try await JudgeFixture.start()
        let judge = try f.judge(#"""
            "url": "BASE/v1/chat/completions", "model": "judge-1", "range": [0, 10],
            "input": [{"role": "system", "content": "Rate 0-10."},
                      {"role": "user", "content": "Q: {{prompt}}\njudge-reply: {{completion}}"}]
            """#)
        let out = await judge.score(items(["7", "Score: 7", "11", #"{"score": 3}"#, "NaN"]))
        #expect(out[0].value == 7)
        #expect(out[1].failure?.reason.contains("not a number") == true)
        #expect(out[2].failure?.reason.contains("outside") == true)
        #expect(out[3].value == 3)
        #expect(out[4].failure?.kind == .invalidReply)
        #expect(try await f.stats().total == 5, "one call per item")

        let pairwise = try f.judge(#"""
            "url": "BASE/v1/chat/completions", "model": "judge-1", "output": "pairwise",
            "input": [{"role": "user", "content": "Reference: {{reference}}\njudge-reply: {{completion}}"}]
            """#)
        let verdicts = await pairwise.score(items(["+1", "-1", "0", "better"], reference: "R"))
        #expect(verdicts.map(\.value) == [1, -1, 0, nil])
        #expect(await pairwise.score(items(["+1"]))[0].failure?.kind == .missingInput, "the rubric needs a reference")
    }

    @Test func secretsAreSentButNeverLogged() async throws {
        let token = "s3cret-token-value"
        let f = try await JudgeFixture.start(["--require-bearer", token, "--fail-500", "1"])
        let env = ["JUDGE_AUTH": "Bearer \(token)"]
        let judge = try f.judge(#""protocol": "grao", "url": "BASE/grao", "headers": {"Authorization": "env:JUDGE_AUTH"}, \#(fast)"#,
                                environment: env)
        #expect(await judge.score(items(["0.5"]))[0].value == 0.5, "the header reached the judge (else 401)")
        #expect(!f.logs.all.isEmpty, "the retry was logged")
        #expect(!f.logs.all.contains(token))
        // A judge echoing the request headers in its error body: the reason and the logs show *** instead.
        try await f.control(#"{"echo_headers": 5}"#)
        let echoed = await judge.score(items(["0.7"]))
        #expect(echoed[0].failure?.reason.contains("***") == true)
        #expect(echoed[0].failure?.reason.contains(token) == false)
        #expect(!f.logs.all.contains(token))
        let missing = try f.judge(#""protocol": "grao", "url": "BASE/grao""#)
        let refused = await missing.score(items(["0.6"]))
        #expect(refused[0].failure?.reason.contains("HTTP 401") == true)
    }

    @Test func httpsJudgeWithCABundle() async throws {
        let tls = try TestCertificate()
        defer { tls.remove() }
        let cert = tls.certificatePath, key = tls.keyPath
        let server = try await JudgeServerProcess.start(["--tls-cert", cert, "--tls-key", key], https: true)
        let f = JudgeFixture(server: server, client: try CurlClient())
        let trusted = try f.judge("\"protocol\": \"grao\", \"url\": \"BASE/grao\", \"ca_bundle\": \"\(cert)\"")
        #expect(await trusted.score(items(["0.5"]))[0].value == 0.5)
        let untrusted = try f.judge(#""protocol": "grao", "url": "BASE/grao""#)
        let out = await untrusted.score(items(["0.5"]))
        #expect(out[0].failure?.kind == .transport)
        #expect(out[0].failure?.reason.contains("TLS") == true)
    }

    @Test func deadJudgeIsATransportFailure() async throws {
        let url: String
        do {
            let f = try await JudgeFixture.start()
            url = f.server.baseURL
        }
        let f = try await JudgeFixture.start()
        let judge = try f.judge("\"protocol\": \"grao\", \"url\": \"\(url)/grao\", \"max_retries\": 1, \(fast)")
        let out = await judge.score(items(["0.5"]))
        #expect(out[0].failure?.kind == .transport)
        #expect(judge.statistics.calls == 2, "connection errors are retried")
    }
}
