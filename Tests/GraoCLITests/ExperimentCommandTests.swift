import Foundation
import Testing
@testable import grao

/// `grao experiment` end to end on the real model with examples/experiments/smoke.json (every method, one seed,
/// two steps, the remote example judge as a real process): files written, report and plots produced, and a second
/// run with --resume skipping every finished cell. Checks the pipeline, not the numbers.
@Suite(.serialized) struct ExperimentCommandTests {
    static let root = ExperimentConfigTests.root
    static let model = "\(root)/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let python = "\(root)/tools/experiment/.venv/bin/python"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: model), "needs the real model (scripts/fetch-model.sh)"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: python), "needs tools/experiment/make-venv.sh"))
    func smokeRunWritesResultsAndReport() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("grao-exp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let report = "\(out)/report.md"
        let args = ["--config", "\(Self.root)/examples/experiments/smoke.json", "--out", out, "--root", Self.root,
                    "--report", report]
        try await ExperimentCommand.parse(args).run()

        let config = try ExperimentConfig(json: try ExperimentConfigTests.text("smoke.json"))
        for (method, seed) in config.cells {
            let name = "\(out)/cells/\(method.name)-seed\(seed)"
            let result = try #require(try ExperimentFiles.readObject(name + ".json"))
            #expect(result["method"] as? String == method.name)
            let log = try String(contentsOfFile: name + ".jsonl", encoding: .utf8).split(separator: "\n")
            #expect(log.filter { $0.contains(#""event":"step""#) }.count == config.steps)
            #expect(log.filter { $0.contains(#""event":"eval""#) }.count == 1 + config.steps / config.evalEvery)
            let completions = try #require(result["completions"] as? [[String: Any]])
            #expect(completions.count == config.tasks.reduce(0) { $0 + $1.evalSize })
        }
        let summary = try #require(try ExperimentFiles.readObject("\(out)/summary.json"))
        #expect(summary["cells_done"] as? Int == config.cells.count)
        let methods = try #require(summary["methods"] as? [String: Any])
        #expect(Set(methods.keys) == Set(config.methods.map(\.name)))
        let grao = try #require(methods["grao"] as? [String: Any])
        #expect(grao["term_shares"] != nil, "GRAO's loss-term shares are summarized")
        // The judged task went through the judge: its baseline has per-prompt rewards, not failures.
        let baseline = try #require(try ExperimentFiles.readObject("\(out)/baseline.json"))
        let capitals = try #require((baseline["tasks"] as? [String: Any])?["capitals"] as? [String: Any])
        #expect(capitals["failures"] as? Int == 0)

        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.contains("<!-- results:begin -->") && text.contains("| grao |"))
        for png in ["learning_curves.png", "term_shares.png"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/report/\(png)"), "\(png)")
        }

        // Again without --resume: refused. With it: every cell is skipped and the summary is rewritten.
        await #expect(throws: (any Error).self) { try await ExperimentCommand.parse(args).run() }
        let before = try FileManager.default.attributesOfItem(atPath: "\(out)/cells/grao-seed1.json")[.modificationDate] as? Date
        try await ExperimentCommand.parse(args + ["--resume", "--no-report"]).run()
        let after = try FileManager.default.attributesOfItem(atPath: "\(out)/cells/grao-seed1.json")[.modificationDate] as? Date
        #expect(before == after, "a finished cell is not run again")
    }
}
