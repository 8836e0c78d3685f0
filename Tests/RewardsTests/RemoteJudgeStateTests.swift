import Testing
@testable import Rewards

/// The judge's pure state machines, driven with explicit times: no waiting, no sockets.
@Suite struct RemoteJudgeStateTests {
    @Test func breakerOpensAfterThresholdAndProbesAfterCooldown() {
        var b = CircuitBreaker(threshold: 3, cooldown: 10)
        let first = b.allowRequest(now: 0)
        #expect(first)
        b.recordFailure(now: 0)
        b.recordFailure(now: 1)
        #expect(b.state == .closed(consecutiveFailures: 2))
        b.recordSuccess()
        #expect(b.state == .closed(consecutiveFailures: 0), "a success resets the count")
        for t in 2...4 { b.recordFailure(now: Double(t)) }
        #expect(b.state == .open(until: 14))
        #expect(b.openings == 1)
        let early = b.allowRequest(now: 13.9)
        let probe = b.allowRequest(now: 14)
        let second = b.allowRequest(now: 14.1)
        #expect(!early)
        #expect(probe, "the probe")
        #expect(!second, "only one probe at a time")
        b.recordFailure(now: 15)
        #expect(b.state == .open(until: 25), "a failed probe re-opens")
        let again = b.allowRequest(now: 25)
        #expect(again)
        b.recordSuccess()
        #expect(b.state == .closed(consecutiveFailures: 0))
        #expect(b.openings == 2)
    }

    @Test func cancelledProbeLetsAnotherCallerProbe() {
        var b = CircuitBreaker(threshold: 1, cooldown: 1)
        b.recordFailure(now: 0)
        let probe = b.allowRequest(now: 1)
        b.cancelProbe()
        let next = b.allowRequest(now: 1)
        #expect(probe && next)
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let p = RetryPolicy(maxRetries: 5, baseDelay: 0.1, maxDelay: 1)
        var rng = SplitMix64(seed: 7)
        for retry in 0..<8 {
            let d = p.backoff(retry: retry, using: &rng)
            let full = min(1, 0.1 * Double(1 << retry))
            #expect(d >= full / 2 && d <= full, "retry \(retry): \(d) outside [\(full / 2), \(full)]")
        }
        var a = SplitMix64(seed: 1), b = SplitMix64(seed: 1)
        let da = p.backoff(retry: 3, using: &a), db = p.backoff(retry: 3, using: &b)
        #expect(da == db, "same seed, same jitter")
    }

    @Test func retryClassification() {
        #expect(RetryPolicy.isRetryable(status: 500))
        #expect(RetryPolicy.isRetryable(status: 503))
        #expect(RetryPolicy.isRetryable(status: 429))
        #expect(!RetryPolicy.isRetryable(status: 400))
        #expect(!RetryPolicy.isRetryable(status: 404))
        #expect(RetryPolicy.retryAfterSeconds("2") == 2)
        #expect(RetryPolicy.retryAfterSeconds(" 0.5 ") == 0.5)
        #expect(RetryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.retryAfterSeconds("-1") == nil)
    }

    @Test func rateLimiterSpacesCallsOverTheWindow() {
        var r = RateLimiter(requestsPerMinute: 2, window: 60)
        let waits = [r.reserve(now: 0), r.reserve(now: 1), r.reserve(now: 2), r.reserve(now: 2), r.reserve(now: 200)]
        // The third call waits until the first leaves the window (60 - 2), the fourth until the second does.
        #expect(waits == [0, 0, 58, 59, 0])
        var off = RateLimiter(requestsPerMinute: 0)
        let none = off.reserve(now: 0)
        #expect(none == 0)
    }

    @Test func cacheEvictsLeastRecentlyUsedAndCountsHits() {
        var c = RewardCache(capacity: 2)
        let k = { (s: String) in RewardCache.Key(judge: "j", prompt: "p", completion: s, reference: nil) }
        c.insert(k("a"), RewardScore(1))
        c.insert(k("b"), RewardScore(2))
        let a1 = c.lookup(k("a"))  // a is now most recent
        c.insert(k("c"), RewardScore(3))  // evicts b
        let b1 = c.lookup(k("b")), a2 = c.lookup(k("a")), c1 = c.lookup(k("c"))
        #expect(a1 == RewardScore(1))
        #expect(b1 == nil)
        #expect(a2 == RewardScore(1))
        #expect(c1 == RewardScore(3))
        #expect(c.hitCount(k("a")) == 2)
        #expect(c.hits == 3)
        #expect(c.misses == 1)
        #expect(c.count == 2)
        let other = RewardCache.Key(judge: "j", prompt: "p", completion: "a", reference: "r")
        let o = c.lookup(other)
        #expect(o == nil, "the reference is part of the key")
    }

    @Test func chatVerdictsAreParsedStrictly() {
        let score = OpenAIChatWire(model: "m", messages: [], output: .score, range: 0...10, samplingParams: [:])
        #expect(score.verdict(" 7 \n") == .score(RewardScore(7)))
        #expect(score.verdict(#"{"score": 2.5}"#) == .score(RewardScore(2.5)))
        #expect(score.verdict("Score: 7").failure?.kind == .invalidReply)
        #expect(score.verdict("11").failure?.reason.contains("outside") == true)
        #expect(score.verdict("nan").failure != nil)
        #expect(score.verdict("inf").failure != nil)
        #expect(score.verdict("0x7").failure != nil)
        let pair = OpenAIChatWire(model: "m", messages: [], output: .pairwise, range: nil, samplingParams: [:])
        #expect(pair.verdict("+1") == .score(RewardScore(1)))
        #expect(pair.verdict("-1") == .score(RewardScore(-1)))
        #expect(pair.verdict("0") == .score(RewardScore(0)))
        #expect(pair.verdict("A").failure?.kind == .invalidReply)
    }

    @Test func templatesFillPlaceholdersOnce() {
        let item = RewardItem(prompt: "Q", completion: "says {{reference}}", reference: "R")
        #expect(OpenAIChatWire.render("{{prompt}}|{{completion}}|{{reference}}|{{x}}", item) == "Q|says {{reference}}|R|{{x}}")
    }
}
