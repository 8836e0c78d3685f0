import ArgumentParser
import Foundation
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

    @Test func needsEitherAnItemOrAnItemsFile() {
        #expect(throws: (any Error).self) { try ScoreCommand.parse(["--reward", "{}", "--prompt", "p"]) }
        #expect(throws: (any Error).self) {
            try ScoreCommand.parse(["--reward", "{}", "--items", "x.jsonl", "--prompt", "p", "--completion", "c"])
        }
    }

    @Test func itemsFileIsScoredAsOneBatchCountingFailures() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grao-items-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [#"{"prompt": "p", "completion": "4", "reference": "4"}"#,
                     #"{"prompt": "p", "completion": "5", "reference": "4"}"#,
                     #"{"prompt": "p", "completion": "5"}"#]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let command = try ScoreCommand.parse(["--reward", #"{"type": "numeric_match"}"#, "--items", path, "--summary"])
        #expect(try await command.runBatch(path: path) == 1, "the item without a reference fails")
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        await #expect(throws: ValidationError.self) { try await command.runBatch(path: path) }
    }
}
