import Foundation
import Testing
@testable import grao

/// Experiment configs: the committed ones parse, every error names its JSON path, cells run seeds-outer.
@Suite struct ExperimentConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: "\(root)/examples/experiments/\(name)", encoding: .utf8)
    }

    static let minimal = #"""
    {"name": "t", "steps": 2, "eval_every": 1, "prompts_per_step": 1, "max_tokens": 4, "lora": {"rank": 2},
     "tasks": [{"name": "a", "train": "a.jsonl", "eval": "b.jsonl", "eval_size": 1, "reward": {"type": "numeric_match"},
                "success_threshold": 1}],
     "methods": [{"name": "g", "algorithm": "grao", "use_imitation": false}, {"name": "s", "algorithm": "sft", "seeds": [7]}]}
    """#

    @Test(arguments: ["full.json", "smoke.json"])
    func committedConfigsParse(name: String) throws {
        let config = try ExperimentConfig(json: try Self.text(name))
        #expect(Set(config.methods.map(\.algorithm)) == Set(ExperimentConfig.Method.Algorithm.allCases))
        #expect(config.tasks.count == 3 && config.judgeServer != nil)
        #expect(config.methods.contains { !$0.grao.useImitation } && config.methods.contains { !$0.grao.useExploration })
        #expect(config.methods.contains { !$0.grao.useAlignment } && config.methods.contains { !$0.grao.advantages.referenceInGroup })
        let resolved = config.resolved(against: "/repo")
        #expect(resolved.model == "/repo/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(resolved.judgeServer?.script == "/repo/examples/judges/judge_server.py")
    }

    @Test func defaultsAndCellOrder() throws {
        let config = try ExperimentConfig(json: Self.minimal)
        #expect(config.seeds == [1, 2, 3] && config.groupSize == 8 && config.evalMaxTokens == 4)
        #expect(config.lora.rank == 2 && config.lora.alpha == 4)
        #expect(config.methods[0].grao.useImitation == false && config.methods[0].grao.useExploration)
        #expect(config.cells.map { "\($0.method.name)\($0.seed)" } == ["g1", "g2", "g3", "s7"])
    }

    @Test(arguments: [
        (#""steps": 2"#, #""steps": 0"#, "$.steps"),
        (#""lora": {"rank": 2}"#, #""lora": {"rank": 2, "alfa": 3}"#, "$.lora.alfa: unknown field"),
        (#""algorithm": "sft""#, #""algorithm": "ppo""#, "$.methods[1].algorithm"),
        (#""use_imitation": false"#, #""use_imitation": 0"#, "$.methods[0].use_imitation"),
        (#""seeds": [7]"#, #""seeds": [7, 7]"#, "$.methods[1].seeds: seeds repeat"),
        (#""eval_size": 1"#, #""eval_size": 1, "judge": 2"#, "$.tasks[0].judge: unknown field"),
        (#""type": "numeric_match"}"#, #""type": "numeric_match", "url": "{{judge_url}}"}"#, "no judge_server"),
        (#""name": "s""#, #""name": "g""#, "method name 'g' appears twice"),
    ])
    func errorsNameTheField(find: String, replace: String, message: String) throws {
        let text = Self.minimal.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.minimal)
        do {
            _ = try ExperimentConfig(json: text)
            Issue.record("expected an error mentioning \(message)")
        } catch let error as ExperimentError {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}
