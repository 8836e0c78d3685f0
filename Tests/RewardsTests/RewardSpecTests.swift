import Logging
import Testing
@testable import Rewards

/// The JSON path a spec error names, or nil when the spec is accepted.
func errorPath(_ json: String, environment: [String: String] = [:]) -> String? {
    let context = RewardContext(logger: Logger(label: "test"), environment: { environment[$0] })
    do {
        _ = try RewardSpec.makeReward(json: json, context: context)
        return nil
    } catch let e as RewardError {
        return e.path
    } catch {
        return "unexpected \(error)"
    }
}

@Suite struct RewardSpecTests {
    @Test func malformedSpecsNameTheFieldAtFault() {
        #expect(errorPath("{not json") == "$")
        #expect(errorPath("[]") == "$")
        #expect(errorPath(#"{"type": "bleu"}"#) == "$.type")
        #expect(errorPath(#"{"operation": "eq"}"#) == "$.type")
        #expect(errorPath(#"{"type": "string_check", "operation": "equals"}"#) == "$.operation")
        #expect(errorPath(#"{"type": "string_check", "operation": "eq", "case_sensitiv": false}"#) == "$.case_sensitiv")
        #expect(errorPath(#"{"type": "string_check", "operation": "eq", "case_sensitive": "no"}"#) == "$.case_sensitive")
        #expect(errorPath(#"{"type": "string_check", "operation": "eq", "case_sensitive": 1}"#) == "$.case_sensitive")
        #expect(errorPath(#"{"type": "length", "min": true}"#) == "$.min")
        #expect(errorPath(#"{"type": "regex", "pattern": "("}"#) == "$.pattern")
        #expect(errorPath(#"{"type": "length", "min": 10, "max": 5}"#) == "$.max")
        #expect(errorPath(#"{"type": "length", "min": 1.5}"#) == "$.min")
        #expect(errorPath(#"{"type": "repetition_penalty", "n": 0}"#) == "$.n")
        #expect(errorPath(#"{"type": "json_valid", "required_keys": ["a", 2]}"#) == "$.required_keys[1]")
    }

    @Test func compositeErrorsPointInsideTheTree() {
        #expect(errorPath(#"{"type": "multi", "weights": {"a": 1}, "graders": {"a": {"type": "regex"}}}"#) == "$.graders.a.pattern")
        #expect(errorPath(#"{"type": "multi", "weights": {"a": 1, "b": 1}, "graders": {"a": {"type": "json_valid"}}}"#) == "$.weights")
        #expect(errorPath(#"{"type": "multi", "graders": {"a": {"type": "json_valid"}}}"#) == "$.weights")
        #expect(errorPath(#"{"type": "multi", "calculate_output": "a + b", "graders": {"a": {"type": "json_valid"}}}"#) == "$.calculate_output")
        #expect(errorPath(#"{"type": "multi", "calculate_output": "a + (", "graders": {"a": {"type": "json_valid"}}}"#) == "$.calculate_output")
        #expect(errorPath(#"{"type": "multi", "calculate_output": "sqrt(a)", "graders": {"a": {"type": "json_valid"}}}"#) == "$.calculate_output")
        #expect(errorPath(#"{"type": "multi", "weights": {"a": 1}, "graders": {"a": {"type": "json_valid", "extra": 1}}}"#) == "$.graders.a.extra")
    }

    @Test func remoteJudgeSpecsAreChecked() {
        let judge = #""type": "score_model", "model": "m", "range": [0, 10], "input": [{"role": "user", "content": "{{completion}}"}]"#
        #expect(errorPath("{\(judge), \"url\": \"http://127.0.0.1:9/v1/chat/completions\"}") == nil)
        #expect(errorPath("{\(judge)}") == "$.url")
        #expect(errorPath("{\(judge), \"url\": \"ftp://x/y\"}") == "$.url")
        #expect(errorPath(#"{"type": "score_model", "url": "http://h/x", "model": "m", "input": [{"role": "user", "content": "x"}]}"#) == "$.range")
        #expect(errorPath(#"{"type": "score_model", "url": "http://h/x", "model": "m", "range": [1, 0], "input": [{"role": "user", "content": "x"}]}"#) == "$.range")
        #expect(errorPath(#"{"type": "score_model", "url": "http://h/x", "model": "m", "range": [0, 1], "input": [{"role": "user", "content": "{{answer}}"}]}"#) == "$.input[0].content")
        #expect(errorPath(#"{"type": "score_model", "url": "http://h/x", "model": "m", "range": [0, 1], "input": [{"role": "judge", "content": "x"}]}"#) == "$.input[0].role")
        #expect(errorPath("{\(judge), \"url\": \"http://h/x\", \"sampling_params\": {\"temperature\": \"hot\"}}") == "$.sampling_params.temperature")
        #expect(errorPath(#"{"type": "score_model", "protocol": "grpc", "url": "http://h/x"}"#) == "$.protocol")
        #expect(errorPath(#"{"type": "score_model", "protocol": "grao", "url": "http://h/x", "batch_size": 0}"#) == "$.batch_size")
        #expect(errorPath(#"{"type": "score_model", "protocol": "grao", "url": "http://h/x", "timeout_ms": -5}"#) == "$.timeout_ms")
        #expect(errorPath(#"{"type": "score_model", "protocol": "openrlhf", "url": "http://h/x", "model": "m"}"#) == "$.model")
    }

    @Test func secretsMustComeFromTheEnvironment() {
        let base = #""type": "score_model", "protocol": "grao", "url": "http://h/x""#
        #expect(errorPath("{\(base), \"headers\": {\"Authorization\": \"Bearer sk-123\"}}") == "$.headers.Authorization")
        #expect(errorPath("{\(base), \"headers\": {\"X-Api-Key\": \"abc\"}}") == "$.headers.X-Api-Key")
        #expect(errorPath("{\(base), \"headers\": {\"Authorization\": \"env:JUDGE_KEY\"}}") == "$.headers.Authorization")
        #expect(errorPath("{\(base), \"headers\": {\"Authorization\": \"env:JUDGE_KEY\"}}", environment: ["JUDGE_KEY": "Bearer s"]) == nil)
        #expect(errorPath("{\(base), \"headers\": {\"Authorization\": \"env:1BAD\"}}") == "$.headers.Authorization")
        #expect(errorPath("{\(base), \"headers\": {\"X-Team\": \"blue\"}}") == nil)
    }

    @Test func errorsReadAsPathThenMessage() {
        do {
            _ = try RewardSpec.makeReward(json: #"{"type": "length", "min": -1}"#, context: RewardContext(logger: Logger(label: "t")))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "$.min: must be between 0 and 10000000, got -1")
        }
    }
}
