import ArgumentParser
import Foundation
import Testing
@testable import grao

/// `grao score` with a `model_judge` spec: the model is loaded only when the spec needs it, and the command prints
/// the judge's verdict with its components (the scorer itself is tested in APITests/ModelLikelihoodScorerTests).
@Suite(.serialized) struct ScoreCommandModelJudgeTests {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }()
    static let present = FileManager.default.fileExists(atPath: path)

    @Test(.enabled(if: present, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func graoScoreRunsAModelJudgeSpec() async throws {
        let command = try ScoreCommand.parse([
            "--reward", #"{"type": "model_judge", "identical_is_tie": false}"#, "--model", Self.path,
            "--prompt", "What is 2+2?", "--completion", "7", "--reference", "4",
        ])
        let (json, scored) = try await command.evaluate()
        #expect(scored)
        #expect(json.contains(#""logp_better":"#) && json.contains(#""reward":"model_judge""#))
        print("grao score model_judge 7 vs 4: \(json)")
    }

    @Test func theModelIsLoadedOnlyWhenTheSpecNeedsIt() async throws {
        let rule = try ScoreCommand.parse(["--reward", #"{"type": "numeric_match"}"#, "--model", "/nonexistent.gguf",
                                           "--prompt", "p", "--completion", "4", "--reference", "4"])
        #expect(try await rule.evaluate().1)
        let judge = try ScoreCommand.parse(["--reward", #"{"type": "model_judge"}"#, "--model", "/nonexistent.gguf",
                                            "--prompt", "p", "--completion", "4", "--reference", "4"])
        do {
            _ = try await judge.evaluate()
            Issue.record("expected an error")
        } catch let e as ValidationError {
            #expect(e.message.contains("/nonexistent.gguf") && e.message.contains("not found"))
        }
    }
}
