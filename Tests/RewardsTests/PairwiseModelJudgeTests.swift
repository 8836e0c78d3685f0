import Logging
import Synchronization
import Testing
@testable import Rewards

/// A stand-in for the model (the real one is tested in APITests/ModelLikelihoodScorerTests): log-likelihoods
/// come from a function of the query; every call is recorded.
final class FakeScorer: CompletionLikelihoodScorer {
    struct Failure: Error, CustomStringConvertible { var description: String { "context too long" } }
    let logp: @Sendable (LikelihoodQuery) throws -> Double
    let calls = Mutex<[[LikelihoodQuery]]>([])

    init(_ logp: @escaping @Sendable (LikelihoodQuery) throws -> Double) { self.logp = logp }

    func logLikelihoods(_ queries: [LikelihoodQuery]) async throws -> [Double] {
        calls.withLock { $0.append(queries) }
        return try queries.map(logp)
    }

    var callCount: Int { calls.withLock { $0.count } }
}

/// Text 1 and Text 2 as the rubric `T1={{completion}};T2={{reference}}` rendered them.
func texts(_ prompt: String) -> (String, String) {
    let parts = prompt.split(separator: ";").map { String($0.dropFirst(3)) }
    return (parts[0], parts[1])
}

/// A fake judge with a position bias: "1 > 2" gets `bias`, plus the length difference of the texts (longer is
/// better) on the side of the longer text.
func biasedScorer(bias: Double) -> FakeScorer {
    FakeScorer { q in
        let (t1, t2) = texts(q.prompt)
        let d = Double(t1.count - t2.count)
        switch q.continuation {
        case "1 > 2": return -3 + bias + d
        case "1 < 2": return -3 - d
        default: return -3.5
        }
    }
}

let simpleRubric = "T1={{completion}};T2={{reference}}"

@Suite struct PairwiseModelJudgeTests {
    @Test func theMostLikelyVerdictWinsWithItsLogLikelihoodsAndMargin() async {
        let table = ["1 > 2": -1.0, "1 = 2": -2.5, "1 < 2": -4.0]
        let judge = PairwiseModelJudge(scorer: FakeScorer { table[$0.continuation]! })
        let item = RewardItem(prompt: "2+2?", completion: "4", reference: "four")
        let outcome = await judge.score([item])[0]
        #expect(outcome == .score(RewardScore(1, components: ["logp_better": -1, "logp_tie": -2.5, "logp_worse": -4,
                                                                "margin": 1.5])))
        let worse = PairwiseModelJudge(scorer: FakeScorer { -table[$0.continuation]! - 10 })
        #expect(await worse.score([item])[0].value == -1)
        let tie = PairwiseModelJudge(scorer: FakeScorer { $0.continuation == "1 = 2" ? -0.5 : -3 })
        let tied = await tie.score([item])[0]
        #expect(tied.value == 0)
        if case .score(let s) = tied { #expect(s.components["margin"] == 2.5) }
    }

    @Test func equalTopLikelihoodsAreATie() {
        typealias D = PairwiseModelJudge.Decision
        #expect(D(better: -1, tie: -2, worse: -1).verdict == 0)
        #expect(D(better: -1, tie: -2, worse: -1).margin == 0)
        #expect(D(better: -1, tie: -1, worse: -3).verdict == 0)
        #expect(D(better: -1, tie: -3, worse: -1.5).verdict == 1)
        #expect(D(better: -1, tie: -3, worse: -1.5).margin == 0.5)
        #expect(D(better: -2, tie: -3, worse: -1.5).verdict == -1)
    }

    @Test func aWinNeedsMoreThanTheMinimumMargin() async {
        typealias D = PairwiseModelJudge.Decision
        #expect(D(better: -1, tie: -3, worse: -1.00005).verdict == 1)
        #expect(D(better: -1, tie: -3, worse: -1.00005, minMargin: 1e-4).verdict == 0)
        #expect(D(better: -1, tie: -3, worse: -1.00005, minMargin: 1e-4).margin == 0)
        #expect(D(better: -3, tie: -1.00005, worse: -1, minMargin: 1e-4).verdict == 0)
        #expect(D(better: -3, tie: -1.5, worse: -1, minMargin: 0.4).verdict == -1)
        // The judge's default: a difference at the scorer's f32 rounding is a tie.
        let judge = PairwiseModelJudge(scorer: FakeScorer { $0.continuation == "1 > 2" ? -1.000001 : ($0.continuation == "1 < 2" ? -1 : -4) })
        #expect(await judge.score([RewardItem(prompt: "p", completion: "a", reference: "b")])[0].value == 0)
    }

    @Test func theRubricPutsTheCandidateFirstAndAsksThreeAnswersPerItemInOneCall() async {
        let scorer = FakeScorer { _ in -1 }
        let judge = PairwiseModelJudge(rubric: "Q={{prompt}} 1={{completion}} 2={{reference}}", scorer: scorer)
        let items = [RewardItem(prompt: "p", completion: "a", reference: "b"),
                     RewardItem(prompt: "p", completion: "c", reference: "b")]
        _ = await judge.score(items)
        let calls = scorer.calls.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls[0].map(\.prompt) == Array(repeating: "Q=p 1=a 2=b", count: 3) + Array(repeating: "Q=p 1=c 2=b", count: 3))
        #expect(calls[0].map(\.continuation) == ["1 > 2", "1 = 2", "1 < 2", "1 > 2", "1 = 2", "1 < 2"])
    }

    @Test func customVerdictStringsAreTheOnesScored() async {
        let verdicts = PairwiseModelJudge.Verdicts(better: "A", tie: "same", worse: "B")
        let judge = PairwiseModelJudge(verdicts: verdicts, scorer: FakeScorer { $0.continuation == "B" ? -0.1 : -5 })
        #expect(await judge.score([RewardItem(prompt: "p", completion: "x", reference: "y")])[0].value == -1)
    }

    @Test func bothOrdersCancelsAPurePositionBias() async {
        let item = RewardItem(prompt: "p", completion: "abc", reference: "xyz")
        let forwardOnly = PairwiseModelJudge(rubric: simpleRubric, scorer: biasedScorer(bias: 2))
        #expect(await forwardOnly.score([item])[0].value == 1, "the bias alone makes Text 1 win")
        let scorer = biasedScorer(bias: 2)
        let both = PairwiseModelJudge(rubric: simpleRubric, bothOrders: true, scorer: scorer)
        guard case .score(let s) = await both.score([item])[0] else { Issue.record("expected a score"); return }
        #expect(s.value == 0)
        #expect(s.components["forward_verdict"] == 1)
        #expect(s.components["swapped_verdict"] == -1)
        // Averaged from the candidate's side: better = (logp(1>2) forward + logp(1<2) swapped) / 2.
        #expect(s.components["logp_better"] == -2 && s.components["logp_worse"] == -2 && s.components["logp_tie"] == -3.5)
        let calls = scorer.calls.withLock { $0 }
        #expect(calls.count == 1 && calls[0].count == 6)
        #expect(calls[0][3].prompt == "T1=xyz;T2=abc", "the second order swaps the texts")
    }

    @Test func bothOrdersKeepsARealPreferenceStrongerThanTheBias() async {
        let judge = PairwiseModelJudge(rubric: simpleRubric, bothOrders: true, scorer: biasedScorer(bias: 1))
        let longer = RewardItem(prompt: "p", completion: "abcdef", reference: "xy")
        let shorter = RewardItem(prompt: "p", completion: "xy", reference: "abcdef")
        let outcomes = await judge.score([longer, shorter])
        #expect(outcomes.map(\.value) == [1, -1])
    }

    @Test func aCandidateEqualToItsReferenceIsATieWithoutAskingTheModel() async {
        let scorer = FakeScorer { $0.continuation == "1 > 2" ? -0.1 : -5 }
        let judge = PairwiseModelJudge(scorer: scorer)
        #expect(await judge.score([RewardItem(prompt: "p", completion: " 4\n", reference: "4")])[0]
                    == .score(RewardScore(0, components: ["identical": 1])))
        #expect(scorer.callCount == 0)
        let asking = PairwiseModelJudge(identicalIsTie: false, scorer: scorer)
        #expect(await asking.score([RewardItem(prompt: "p", completion: "4", reference: "4")])[0].value == 1)
        #expect(scorer.callCount == 1)
    }

    @Test func noReferenceIsMissingInput() async {
        let judge = PairwiseModelJudge(scorer: FakeScorer { _ in -1 })
        let outcomes = await judge.score([RewardItem(prompt: "p", completion: "c"),
                                          RewardItem(prompt: "p", completion: "c", reference: "r")])
        #expect(outcomes[0].failure?.kind == .missingInput)
        #expect(outcomes[1].value == 0)
    }

    @Test func aScorerErrorFailsTheItemNeverATie() async {
        let judge = PairwiseModelJudge(scorer: FakeScorer { _ in throw FakeScorer.Failure() })
        let outcome = await judge.score([RewardItem(prompt: "p", completion: "c", reference: "r")])[0]
        #expect(outcome.value == nil)
        #expect(outcome.failure == RewardFailure(.judgeError, "model scorer: context too long"))
    }

    @Test func aBadItemFailsAloneWhenTheBatchCallFails() async {
        let scorer = FakeScorer { q in
            if q.prompt.contains("HUGE") { throw FakeScorer.Failure() }
            return q.continuation == "1 < 2" ? -1 : -2
        }
        let judge = PairwiseModelJudge(scorer: scorer)
        let outcomes = await judge.score([RewardItem(prompt: "p", completion: "a", reference: "r"),
                                          RewardItem(prompt: "p", completion: "HUGE", reference: "r"),
                                          RewardItem(prompt: "p", completion: "b", reference: "r")])
        #expect(outcomes.map(\.value) == [-1, nil, -1])
        #expect(outcomes[1].failure?.kind == .judgeError)
        #expect(scorer.callCount == 4, "one batch call, then one per item")
    }

    @Test func nonFiniteOrMiscountedLikelihoodsAreInvalidReplies() async {
        let nan = PairwiseModelJudge(scorer: FakeScorer { $0.continuation == "1 = 2" ? .nan : -1 })
        let item = RewardItem(prompt: "p", completion: "c", reference: "r")
        #expect(await nan.score([item])[0].failure?.kind == .invalidReply)
        struct Short: CompletionLikelihoodScorer {
            func logLikelihoods(_ queries: [LikelihoodQuery]) async throws -> [Double] { [-1] }
        }
        let short = PairwiseModelJudge(scorer: Short())
        #expect(await short.score([item])[0].failure
                    == RewardFailure(.invalidReply, "the model scorer returned 1 values for 3 queries"))
    }

    @Test func sameInputSameVerdict() async {
        let judge = PairwiseModelJudge(rubric: simpleRubric, bothOrders: true, scorer: biasedScorer(bias: 0.5))
        let items = (0..<6).map { RewardItem(prompt: "p", completion: String(repeating: "a", count: $0), reference: "aaa") }
        let first = await judge.score(items)
        #expect(await judge.score(items) == first)
        #expect(first.map(\.value) == [-1, -1, -1, 0, 1, 1])
    }
}
