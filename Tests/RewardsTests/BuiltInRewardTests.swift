import Logging
import Testing
@testable import Rewards

/// Builds a local reward from spec text; fails the test on a spec error.
func reward(_ json: String) throws -> any RewardModel {
    try RewardSpec.makeReward(json: json, context: RewardContext(logger: Logger(label: "test")))
}

func scoreOne(_ json: String, _ completion: String, reference: String? = nil) async throws -> RewardOutcome {
    let r = try reward(json)
    return await r.score([RewardItem(prompt: "q", completion: completion, reference: reference)])[0]
}

func value(_ json: String, _ completion: String, reference: String? = nil) async throws -> Double? {
    try await scoreOne(json, completion, reference: reference).value
}

@Suite struct BuiltInRewardTests {
    @Test func exactMatchNormalisesWhitespaceAndOptionallyCase() async throws {
        let eq = #"{"type": "string_check", "operation": "eq"}"#
        #expect(try await value(eq, "  Paris \n", reference: "Paris") == 1)
        #expect(try await value(eq, "paris", reference: "Paris") == 0)
        #expect(try await value(#"{"type": "string_check", "operation": "eq", "case_sensitive": false}"#, "paris", reference: "PARIS") == 1)
        #expect(try await value(#"{"type": "string_check", "operation": "eq", "normalize_whitespace": false}"#, "Paris ", reference: "Paris") == 0)
        #expect(try await value(#"{"type": "string_check", "operation": "ne"}"#, "Rome", reference: "Paris") == 1)
    }

    @Test func containsIsLikeAndIlike() async throws {
        #expect(try await value(#"{"type": "string_check", "operation": "like", "reference": "cat"}"#, "the cat sat") == 1)
        #expect(try await value(#"{"type": "string_check", "operation": "like", "reference": "Cat"}"#, "the cat sat") == 0)
        #expect(try await value(#"{"type": "string_check", "operation": "ilike", "reference": "Cat"}"#, "the cat sat") == 1)
    }

    @Test func missingReferenceIsAFailureNotZero() async throws {
        let outcome = try await scoreOne(#"{"type": "string_check", "operation": "eq"}"#, "x")
        #expect(outcome.value == nil)
        #expect(outcome.failure?.kind == .missingInput)
        let f1 = try await scoreOne(#"{"type": "text_similarity", "evaluation_metric": "token_f1"}"#, "x")
        #expect(f1.failure?.kind == .missingInput)
    }

    @Test func numericMatchTakesTheFinalNumber() async throws {
        let spec = #"{"type": "numeric_match"}"#
        #expect(try await value(spec, "3 apples plus 4 makes 1,234.5", reference: "#### 1234.5") == 1)
        #expect(try await value(spec, "The answer is -7.", reference: "-7") == 1)
        #expect(try await value(spec, "The answer is 7.", reference: "-7") == 0)
        #expect(try await value(spec, "no idea", reference: "42") == 0)
        #expect(try await value(#"{"type": "numeric_match", "tolerance": 0.05}"#, "3.14", reference: "pi is 3.1") == 1)
        #expect(try await value(#"{"type": "numeric_match", "relative_tolerance": 0.01}"#, "1005", reference: "1000") == 1)
        #expect(try await value(#"{"type": "numeric_match", "expected": 12}"#, "12") == 1)
        #expect(try await scoreOne(spec, "12", reference: "twelve").failure?.kind == .missingInput)
        #expect(NumericMatchReward.finalNumber(in: "x .5") == 0.5)
    }

    @Test func regexSearchesOrMatchesFully() async throws {
        #expect(try await value(#"{"type": "regex", "pattern": "\\d{3}"}"#, "call 555 now") == 1)
        #expect(try await value(#"{"type": "regex", "pattern": "\\d{3}", "full_match": true}"#, "call 555 now") == 0)
        #expect(try await value(#"{"type": "regex", "pattern": "\\d{3}", "full_match": true}"#, "555") == 1)
        #expect(try await value(#"{"type": "regex", "pattern": "YES", "case_sensitive": false}"#, "yes") == 1)
    }

    @Test func lengthTargetPenalisesDistanceOutsideTheRange() async throws {
        let spec = #"{"type": "length", "min": 5, "max": 10, "penalty": 0.1}"#
        #expect(try await value(spec, "abcdefg") == 1)
        #expect(try await value(spec, "abc")! == 0.8, "2 chars short")
        #expect(abs(try await value(spec, "abcdefghijkl")! - 0.8) < 1e-12, "2 chars long")
        #expect(try await value(#"{"type": "length", "min": 5, "max": 10, "penalty": 0.5, "floor": 0.25}"#, "a") == 0.25)
        #expect(try await value(#"{"type": "length", "unit": "words", "max": 2, "penalty": 0.5}"#, "one two three") == 0.5)
    }

    @Test func jsonValidityCountsRequiredKeys() async throws {
        let spec = #"{"type": "json_valid", "required_keys": ["a", "b"]}"#
        #expect(try await value(spec, #"{"a": 1}"#) == 0.5)
        #expect(try await value(spec, "```json\n{\"a\": 1, \"b\": 2}\n```") == 1)
        #expect(try await value(spec, "{a: 1}") == 0)
        #expect(try await value(spec, "[1, 2]") == 0)
        #expect(try await value(#"{"type": "json_valid"}"#, "[1, 2]") == 1)
    }

    @Test func tokenF1AndRougeLOnHandComputedCases() async throws {
        // overlap 3 of candidate 3 and reference 6: P = 1, R = 0.5, F1 = 2/3.
        let f1 = try await value(#"{"type": "text_similarity", "evaluation_metric": "token_f1"}"#,
                                 "The cat sat", reference: "the cat sat on the mat")!
        #expect(abs(f1 - 2.0 / 3) < 1e-12)
        // LCS(a b c d, a c d e f) = a c d = 3: P = 3/4, R = 3/5, F = 2PR/(P+R) = 2/3.
        let rouge = try await value(#"{"type": "text_similarity", "evaluation_metric": "rouge_l"}"#,
                                    "a b c d", reference: "a c d e f")!
        #expect(abs(rouge - 2.0 / 3) < 1e-12)
        // Order matters for ROUGE-L but not for F1.
        #expect(try await value(#"{"type": "text_similarity", "evaluation_metric": "token_f1"}"#, "b a", reference: "a b") == 1)
        #expect(try await value(#"{"type": "text_similarity", "evaluation_metric": "rouge_l"}"#, "b a", reference: "a b") == 0.5)
        #expect(try await value(#"{"type": "text_similarity", "evaluation_metric": "rouge_l"}"#, "", reference: "a") == 0)
    }

    @Test func repetitionPenaltyIsMinusTheRepeatedFraction() async throws {
        // Bigrams of "a b a b a b": ab ba ab ba ab -> 5 total, 2 distinct, 3 repeats.
        #expect(try await value(#"{"type": "repetition_penalty", "n": 2}"#, "a b a b a b") == -0.6)
        #expect(try await value(#"{"type": "repetition_penalty", "n": 2}"#, "one two three four") == 0)
        #expect(try await value(#"{"type": "repetition_penalty", "n": 3}"#, "too short") == 0)
    }

    @Test func multiCombinesByWeightsOrFormula() async throws {
        let weighted = #"""
        {"type": "multi", "graders": {
            "exact": {"type": "string_check", "operation": "eq"},
            "f1": {"type": "text_similarity", "evaluation_metric": "token_f1"}},
         "weights": {"exact": 0.5, "f1": 2}}
        """#
        let outcome = try await scoreOne(weighted, "the cat sat", reference: "the cat sat on the mat")
        guard case .score(let s) = outcome else { Issue.record("expected a score, got \(outcome)"); return }
        #expect(abs(s.value - 4.0 / 3) < 1e-12)
        #expect(s.components["exact"] == 0)
        #expect(abs(s.components["f1"]! - 2.0 / 3) < 1e-12)

        let formula = #"""
        {"type": "multi", "calculate_output": "clip(max(a, b) - 0.5 * -c, 0, 10) / 2",
         "graders": {"a": {"type": "regex", "pattern": "x"}, "b": {"type": "regex", "pattern": "y"},
                     "c": {"type": "length", "max": 1, "penalty": 0.25}}}
        """#
        // a = 1, b = 0, c = 1 - 0.25 * 2 = 0.5 -> (1 + 0.25) / 2.
        #expect(try await value(formula, "xyz") == 0.625)
    }

    @Test func aFailingPartFailsTheComposite() async throws {
        let spec = #"""
        {"type": "multi", "weights": {"e": 1, "r": 1},
         "graders": {"e": {"type": "string_check", "operation": "eq"}, "r": {"type": "regex", "pattern": "a"}}}
        """#
        let outcome = try await scoreOne(spec, "a")
        #expect(outcome.failure?.kind == .component)
        #expect(outcome.failure?.reason.contains("multi.e") == true)
    }

    @Test func formulaDivisionByZeroIsAFailure() async throws {
        let spec = #"{"type": "multi", "calculate_output": "1 / a", "graders": {"a": {"type": "regex", "pattern": "z"}}}"#
        #expect(try await scoreOne(spec, "q").failure?.kind == .component)
    }
}
