import Foundation
import Testing
import TestSupport
@testable import grao

/// `grao train` as a user runs it: the real binary on the real model for 2 steps with a reward spec, one JSON
/// metrics line per step, failed rewards masked and counted, and the final checkpoint written.
@Suite(.serialized) struct TrainCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let model = root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var hasModel: Bool { FileManager.default.fileExists(atPath: model) }

    /// Runs `grao train` with `arguments` on a two-example dataset; returns exit status, stdout lines, stderr.
    static func train(_ arguments: [String], directory: URL) throws -> (Int32, [[String: Any]], String) {
        let binary = try #require(ServeProcessTests.graoBinary, "the grao executable must be built next to the tests")
        let data = directory.appendingPathComponent("d.jsonl")
        try """
            {"prompt": "What is 2+3? Answer with the number only.", "reference": "5"}
            {"prompt": "What is the capital of France? One word.", "reference": "Paris", "metadata": {"task": "capital"}}
            """.write(to: data, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["train", "--model", model, "--data", data.path, "--steps", "2", "--group-size", "2",
                             "--prompts-per-step", "2", "--max-tokens", "6", "--lora-rank", "2", "--lora-targets", "q,v",
                             "--output", directory.appendingPathComponent("ckpt").path, "--threads", "1"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let status = ProcessExit.wait(for: process)
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        return (status, lines, stderr)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("grao-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(.enabled(if: hasModel, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func twoStepsWithARewardSpec() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = #"{"type": "text_similarity", "evaluation_metric": "token_f1", "name": "f1"}"#
        let (status, lines, stderr) = try Self.train(["--reward", spec, "--algorithm", "grao"], directory: directory)
        #expect(status == 0, "stderr: \(stderr)")
        #expect(lines.count == 2)
        for (i, line) in lines.enumerated() {
            #expect(line["step"] as? Int == i + 1 && line["applied"] as? Bool == true)
            #expect(line["reward"] as? String == "f1")
            #expect(line["masked_samples"] as? Int == 0)
            #expect(line["reward_mean"] is Double && line["exploration"] is Double && line["imitation"] is Double)
        }
        let checkpoint = directory.appendingPathComponent("ckpt/step-2/grao_checkpoint.json").path
        #expect(FileManager.default.fileExists(atPath: checkpoint))
    }

    @Test(.enabled(if: hasModel, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func failedRewardsAreMaskedAndCounted() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // "Paris" holds no number: numeric_match fails for that prompt's samples and its reference.
        let (status, lines, stderr) = try Self.train(["--reward", #"{"type": "numeric_match"}"#, "--steps", "1"],
                                                     directory: directory)
        #expect(status == 0, "stderr: \(stderr)")
        let line = try #require(lines.first)
        #expect(line["masked_samples"] as? Int == 2)
        #expect(line["reference_reward_failures"] as? Int == 1)
        #expect((line["reward_failures"] as? [String: Int])?["missing_input"] == 3)
        #expect(line["reward"] as? String == "numeric_match")
    }

    @Test(.enabled(if: hasModel, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func theModelItselfCanJudge() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (status, lines, stderr) = try Self.train(["--reward", #"{"type": "model_judge", "name": "judge"}"#, "--steps", "1"],
                                                     directory: directory)
        #expect(status == 0, "stderr: \(stderr)")
        let line = try #require(lines.first)
        #expect(line["reward"] as? String == "judge" && line["applied"] as? Bool == true)
        #expect(line["reward_mean"] is Double, "the judge scored the samples: \(line)")
    }

    @Test func badRewardSpecIsRefusedBeforeLoadingTheModel() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (status, lines, stderr) = try Self.train(["--reward", #"{"type": "length", "penalty": "big"}"#], directory: directory)
        #expect(status != 0 && lines.isEmpty)
        #expect(stderr.contains("$.penalty"), "stderr: \(stderr)")
    }
}
