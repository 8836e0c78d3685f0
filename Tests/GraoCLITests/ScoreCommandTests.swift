import ArgumentParser
import Testing
@testable import grao

@Suite struct ScoreCommandTests {
    @Test func printsScoreAndComponents() async throws {
        let command = try ScoreCommand.parse([
            "--reward", #"{"type": "multi", "weights": {"e": 1, "f": 1}, "graders": {"e": {"type": "string_check", "operation": "eq"}, "f": {"type": "text_similarity", "evaluation_metric": "token_f1"}}}"#,
            "--prompt", "Capital of France?", "--completion", "Paris", "--reference", "Paris",
        ])
        let (json, scored) = try await command.evaluate()
        #expect(scored)
        #expect(json == #"{"components":{"e":1,"f":1},"reward":"multi","score":2}"#)
    }

    @Test func reportsAFailureWithItsReason() async throws {
        let command = try ScoreCommand.parse(["--reward", #"{"type": "string_check", "operation": "eq"}"#,
                                              "--prompt", "p", "--completion", "c"])
        let (json, scored) = try await command.evaluate()
        #expect(!scored)
        #expect(json.contains(#""kind":"missing_input""#))
    }

    @Test func badSpecIsAValidationErrorNamingTheField() async throws {
        let command = try ScoreCommand.parse(["--reward", #"{"type": "length", "penalty": "big"}"#,
                                              "--prompt", "p", "--completion", "c"])
        do {
            _ = try await command.evaluate()
            Issue.record("expected an error")
        } catch let e as ValidationError {
            #expect(e.message.contains("$.penalty"))
        }
    }

    @Test func missingSpecFileIsAValidationError() async throws {
        let command = try ScoreCommand.parse(["--reward", "@/nonexistent/spec.json", "--prompt", "p", "--completion", "c"])
        await #expect(throws: ValidationError.self) { try await command.evaluate() }
    }
}
