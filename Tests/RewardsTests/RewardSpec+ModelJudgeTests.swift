import Logging
import Testing
@testable import Rewards

/// Builds a spec with a fake model in the context.
func modelJudgeSpec(_ json: String, scorer: (any CompletionLikelihoodScorer)? = FakeScorer { _ in -1 }) throws -> any RewardModel {
    try RewardSpec.makeReward(json: json, context: RewardContext(logger: Logger(label: "test"), likelihoodScorer: scorer))
}

/// The path a `model_judge` spec error names (with a model in the context), nil when accepted.
func modelJudgeErrorPath(_ json: String) -> String? {
    do {
        _ = try modelJudgeSpec(json)
        return nil
    } catch let e as RewardError {
        return e.path
    } catch {
        return "unexpected \(error)"
    }
}

@Suite struct RewardSpecModelJudgeTests {
    @Test func fieldsAreReadIntoTheJudge() throws {
        let model = try modelJudgeSpec(#"""
            {"type": "model_judge", "name": "mj", "rubric": "Q {{prompt}} A {{completion}} B {{reference}}",
             "verdicts": {"better": "A", "tie": "same", "worse": "B"}, "both_orders": true, "identical_is_tie": false,
             "min_margin": 0.5}
            """#)
        let judge = try #require(model as? PairwiseModelJudge)
        #expect(judge.name == "mj")
        #expect(judge.rubric == "Q {{prompt}} A {{completion}} B {{reference}}")
        #expect(judge.verdicts == PairwiseModelJudge.Verdicts(better: "A", tie: "same", worse: "B"))
        #expect(judge.bothOrders && !judge.identicalIsTie && judge.minMargin == 0.5)
    }

    @Test func defaultsAreThePapersFormat() throws {
        let judge = try #require(try modelJudgeSpec(#"{"type": "model_judge"}"#) as? PairwiseModelJudge)
        #expect(judge.name == "model_judge")
        #expect(judge.rubric == PairwiseModelJudge.defaultRubric)
        #expect(judge.verdicts == .paper)
        #expect(!judge.bothOrders && judge.identicalIsTie && judge.minMargin == 1e-4)
    }

    @Test func badFieldsAreNamed() {
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "rubric": 3}"#) == "$.rubric")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "rubric": "{{completion}} vs {{answer}} {{reference}}"}"#) == "$.rubric")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "rubric": "{{prompt}}: {{completion}}"}"#) == "$.rubric")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "rubric": "{{reference}} only"}"#) == "$.rubric")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": ["A", "=", "B"]}"#) == "$.verdicts")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "A", "worse": "B"}}"#) == "$.verdicts.tie")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "A", "tie": " ", "worse": "B"}}"#) == "$.verdicts.tie")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "A", "tie": "A", "worse": "B"}}"#) == "$.verdicts.tie")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "A", "tie": "=", "worse": "A"}}"#) == "$.verdicts.worse")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "A", "tie": "=", "worse": "B", "skip": "?"}}"#) == "$.verdicts.skip")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": 1, "tie": "=", "worse": "B"}}"#) == "$.verdicts.better")
        let long = String(repeating: "x", count: 201)
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "verdicts": {"better": "\#(long)", "tie": "=", "worse": "B"}}"#) == "$.verdicts.better")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "both_orders": "yes"}"#) == "$.both_orders")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "identical_is_tie": 0}"#) == "$.identical_is_tie")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "temperature": 0}"#) == "$.temperature")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "min_margin": -0.1}"#) == "$.min_margin")
        #expect(modelJudgeErrorPath(#"{"type": "model_judge", "min_margin": "small"}"#) == "$.min_margin")
    }

    @Test func withoutAModelTheSpecIsRefusedAtItsType() {
        #expect(errorPath(#"{"type": "model_judge"}"#) == "$.type")
        #expect(errorPath(#"{"type": "multi", "weights": {"j": 1}, "graders": {"j": {"type": "model_judge"}}}"#) == "$.graders.j.type")
        // Field errors come first, so they are named even without a model.
        #expect(errorPath(#"{"type": "model_judge", "both_orders": 1}"#) == "$.both_orders")
        do {
            _ = try modelJudgeSpec(#"{"type": "model_judge"}"#, scorer: nil)
            Issue.record("expected an error")
        } catch let e as RewardError {
            #expect(e.description.contains("needs the local model"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aSpecSaysWhetherItNeedsTheModel() {
        #expect(RewardSpec.needsLikelihoodScorer(json: #"{"type": "model_judge"}"#))
        #expect(RewardSpec.needsLikelihoodScorer(json: #"{"type": "multi", "graders": {"a": {"type": "multi", "graders": {"b": {"type": "model_judge"}}}}}"#))
        #expect(!RewardSpec.needsLikelihoodScorer(json: #"{"type": "multi", "graders": {"a": {"type": "numeric_match"}}}"#))
        #expect(!RewardSpec.needsLikelihoodScorer(json: #"{"type": "numeric_match"}"#))
        #expect(!RewardSpec.needsLikelihoodScorer(json: "{not json"))
    }

    @Test func aModelJudgeWorksInsideAComposite() async throws {
        let scorer = FakeScorer { $0.continuation == "1 > 2" ? -0.2 : -4 }
        let model = try modelJudgeSpec(#"""
            {"type": "multi", "calculate_output": "judge + exact",
             "graders": {"judge": {"type": "model_judge"}, "exact": {"type": "string_check", "operation": "eq"}}}
            """#, scorer: scorer)
        let outcome = await model.score([RewardItem(prompt: "2+2?", completion: "4", reference: "four")])[0]
        #expect(outcome.value == 1)
        guard case .score(let s) = outcome else { return }
        #expect(s.components["judge"] == 1 && abs(s.components["judge.margin"]! - 3.8) < 1e-12)
    }
}
