import Testing
@testable import Alignment

/// The metrics from per-prompt results: failures excluded and counted, RAS strict and with ties, NAG as the
/// paper defines it and as a net rate, per-task split.
@Suite struct EvaluationSummaryTests {
    static func item(_ task: String = "t", reward: Double?, success: Bool?, verdict: Verdict?, tokens: Int = 4) -> EvaluatedCompletion {
        EvaluatedCompletion(task: task, completion: "c", tokens: tokens, reward: reward, referenceReward: 1,
                            success: success, verdict: verdict)
    }

    @Test func ratesCountOnlyScoredPrompts() {
        let items = [Self.item(reward: 1, success: true, verdict: .tie), Self.item(reward: 0, success: false, verdict: .loss),
                     Self.item(reward: 2, success: true, verdict: .win), Self.item(reward: nil, success: nil, verdict: nil)]
        let s = EvaluationSummary(items)
        #expect(s.prompts == 4 && s.failures == 1)
        #expect(s.meanReward == 1)
        #expect(s.successRate == 2.0 / 3)
        #expect(s.winRate == 1.0 / 3)
        #expect(s.winOrTieRate == 2.0 / 3)
        #expect(s.nag == nil && s.nagNet == nil, "no baseline, no NAG")
        #expect(s.meanCompletionTokens == 4)
    }

    @Test func nagComparesVerdictsPromptByPrompt() {
        let before = [Self.item(reward: 0, success: false, verdict: .loss), Self.item(reward: 1, success: true, verdict: .tie),
                      Self.item(reward: 1, success: true, verdict: .tie), Self.item(reward: 0, success: false, verdict: .loss),
                      Self.item(reward: 0, success: false, verdict: .loss)]
        let after = [Self.item(reward: 1, success: true, verdict: .tie),   // improved
                     Self.item(reward: 0, success: false, verdict: .loss), // worsened
                     Self.item(reward: 2, success: true, verdict: .win),   // improved
                     Self.item(reward: 0, success: false, verdict: .loss), // same
                     Self.item(reward: nil, success: nil, verdict: nil)]   // failed: not compared
        let s = EvaluationSummary(after, baseline: before)
        #expect(s.nag == 2.0 / 4)
        #expect(s.nagNet == 1.0 / 4)
        let worse = EvaluationSummary(before, baseline: after)
        #expect(worse.nagNet == -1.0 / 4, "the net rate can be negative, as in the paper's tables")
        #expect(EvaluationSummary(before, baseline: before).nag == 0)
    }

    @Test func splitsByTaskWithMatchingBaseline() {
        let items = [Self.item("a", reward: 1, success: true, verdict: .tie), Self.item("b", reward: 0, success: false, verdict: .loss),
                     Self.item("a", reward: 0, success: false, verdict: .loss)]
        let base = [Self.item("a", reward: 0, success: false, verdict: .loss), Self.item("b", reward: 0, success: false, verdict: .loss),
                    Self.item("a", reward: 0, success: false, verdict: .loss)]
        let parts = EvaluationSummary.byTask(items, baseline: base)
        #expect(parts.map(\.task) == ["a", "b"])
        #expect(parts[0].summary.prompts == 2 && parts[0].summary.successRate == 0.5 && parts[0].summary.nag == 0.5)
        #expect(parts[1].summary.successRate == 0 && parts[1].summary.nag == 0)
    }

    @Test func emptyIsAllNil() {
        let s = EvaluationSummary([])
        #expect(s.meanReward == nil && s.successRate == nil && s.winRate == nil && s.meanCompletionTokens == 0)
    }
}
