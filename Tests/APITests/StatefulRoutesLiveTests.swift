import Foundation
import Testing
import TestSupport

/// End to end against real `grao serve` processes with the real model and the example judge as a real process:
/// register the judge, score with it, make groups, run a step of each algorithm, save and load checkpoints
/// (and have a corrupt one refused), then restart on the same data directory and find everything again.
@Suite(.serialized) struct StatefulRoutesLiveTests {
    static let arithmetic = [
        ["prompt": "What is 2 + 3? Reply with the number only.", "reference": "5"],
        ["prompt": "What is 7 - 4? Reply with the number only.", "reference": "3"],
    ]

    /// One sample's value from `/metrics` (0 when the series is not there yet).
    static func metric(_ server: StateServerProcess, _ series: String) async throws -> Double {
        let text = try await server.request("GET", "/metrics").text
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }) else { return 0 }
        return Double(line.dropFirst(series.count + 1)) ?? .nan
    }

    @Test(.enabled(if: StateServerProcess.modelPresent, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func groupsScoreStepsCheckpointsAndRestart() async throws {
        let data = try ScratchDirectory()
        defer { data.cleanup() }
        let judge = try await JudgeServerProcess.start()
        var server = try await StateServerProcess.start(dataDirectory: data.path)

        // Register the example judge (grao batch protocol) and score with it.
        let registered = try await server.request("POST", "/v1/rewards", json: [
            "name": "judge", "spec": ["type": "score_model", "protocol": "grao", "url": judge.baseURL + "/grao"]])
        #expect(registered.status == 201, "\(registered.text)")
        let scoreBody: [String: Any] = [
            "reward": "judge", "items": [["prompt": "Capital of France?", "completion": "Paris", "reference": "Paris"],
                                         ["prompt": "Capital of France?", "completion": "Lyon", "reference": "Paris"]]]
        let scored = try await server.request("POST", "/v1/score", json: scoreBody)
        #expect(scored.status == 200, "\(scored.text)")
        #expect((scored.object["results"] as? [[String: Any]])?.map { $0["score"] as? Double } == [1, 0])
        #expect(scored.object["reward"] as? String == "judge")
        // The judge's work reaches /metrics: its calls, then cache hits (and no new call) for the same items again.
        let calls = #"grao_judge_calls_total{judge="judge"}"#, hits = #"grao_judge_cache_hits_total{judge="judge"}"#
        let callsAfterScore = try await Self.metric(server, calls)
        #expect(callsAfterScore >= 1)
        #expect(try await server.request("POST", "/v1/score", json: scoreBody).status == 200)
        #expect(try await Self.metric(server, hits) == 2)
        #expect(try await Self.metric(server, calls) == callsAfterScore)
        let unknown = try await server.request("POST", "/v1/score", json: ["reward": "nope", "items": [["prompt": "p", "completion": "c"]]])
        #expect(unknown.status == 400 && unknown.errorMessage.contains("'nope'"))

        // Groups: generate + score + advantages, kept under ids.
        let made = try await server.request("POST", "/v1/groups", json: [
            "prompts": Self.arithmetic, "group_size": 4, "max_tokens": 12, "seed": 7, "reward": "numeric_match"])
        #expect(made.status == 201, "\(made.text)")
        let groups = try #require(made.object["groups"] as? [[String: Any]])
        #expect(groups.count == 2)
        #expect(groups.allSatisfy { ($0["samples"] as? [Any])?.count == 4 && $0["reference_reward"] as? Double == 1 })
        let ids = groups.compactMap { $0["id"] as? String }
        let fetched = try await server.request("GET", "/v1/groups/\(ids[0])")
        #expect(fetched.status == 200 && fetched.object["id"] as? String == ids[0])
        #expect(try await server.request("GET", "/v1/groups/grp_0000000000000000").status == 404)

        // Bad requests change nothing.
        for (body, field) in [(["algorithm": "ppo", "group_ids": ids] as [String: Any], "algorithm"),
                              (["algorithm": "grao", "group_ids": ["grp_nope"]], "group_ids[0]"),
                              (["algorithm": ["name": "grao", "beta": -1], "group_ids": ids], "algorithm.beta"),
                              (["algorithm": "grao", "group_ids": ids, "prompts": Self.arithmetic], "group_ids"),
                              (["algorithm": "sft", "groups": [["prompt": "x"]]], "groups[0].reference")] {
            let refused = try await server.request("POST", "/v1/train/step", json: body)
            #expect(refused.status == 400, "\(body): \(refused.text)")
            #expect(refused.errorMessage.contains("'\(field)"), "\(refused.errorMessage)")
        }
        #expect(try await server.request("GET", "/v1/model").object["step"] as? Int == 0)

        // One step of each algorithm, each from a different source; the step number advances.
        let lora: [String: Any] = ["mode": "lora", "lora_rank": 4, "learning_rate": 1e-4]
        let steps: [[String: Any]] = [
            ["algorithm": "grao", "group_ids": ids, "trainer": lora],
            ["algorithm": ["name": "grpo", "kl_coefficient": 0.04], "prompts": [Self.arithmetic[0]], "group_size": 4,
             "max_tokens": 8, "reward": "judge", "seed": 3],
            ["algorithm": "dpo", "prompts": [["prompt": "Capital of France?", "reference": "Paris.", "rejected": "Lyon."]]],
            ["algorithm": "sft", "groups": [["prompt": "Capital of Italy?", "reference": "Rome."]]],
            ["algorithm": "grao", "groups": [["prompt": "What is 1 + 1?", "reference": "2",
                                              "samples": [["text": "2", "reward": 1], ["text": "3", "reward": 0], ["text": "11"]]]]],
        ]
        for (i, body) in steps.enumerated() {
            let step = try await server.request("POST", "/v1/train/step", json: body)
            #expect(step.status == 200, "\(body): \(step.text)")
            #expect(step.object["step"] as? Int == i + 1)
            #expect(step.object["applied"] as? Bool == true)
            #expect((step.object["loss"] as? Double)?.isFinite == true)
            if i == 0 { #expect(step.object["stale_groups"] as? Int == 0, "sampled by the untrained policy") }
        }
        // The GRPO step scored its fresh samples with the judge (the path POST /v1/groups takes too).
        #expect(try await Self.metric(server, calls) > callsAfterScore)
        let different = try await server.request("POST", "/v1/train/step", json: ["algorithm": "sft", "trainer": ["mode": "full"],
                                                                                  "groups": [["prompt": "x", "reference": "y"]]])
        #expect(different.status == 409)

        // Checkpoints: save, refuse a taken name, load; a corrupt copy is refused and the weights stay.
        let saved = try await server.request("POST", "/v1/checkpoints", json: ["name": "e2e"])
        #expect(saved.status == 201, "\(saved.text)")
        #expect(saved.object["step"] as? Int == 5 && saved.object["kind"] as? String == "lora")
        #expect(try await server.request("POST", "/v1/checkpoints", json: ["name": "e2e"]).status == 409)
        #expect(try await server.request("POST", "/v1/checkpoints", json: ["name": "../evil"]).status == 400)
        let fm = FileManager.default
        let checkpoints = data.path + "/checkpoints"
        try fm.copyItem(atPath: checkpoints + "/e2e", toPath: checkpoints + "/broken")
        let tensors = URL(fileURLWithPath: checkpoints + "/broken/adapter_model.safetensors")
        var bytes = try Data(contentsOf: tensors)
        bytes[bytes.count - 5] ^= 0x10
        try bytes.write(to: tensors)
        let corrupt = try await server.request("POST", "/v1/checkpoints/broken/load")
        #expect(corrupt.status == 409 && corrupt.errorMessage.contains("corrupt"), "\(corrupt.text)")
        let model = try await server.request("GET", "/v1/model")
        #expect(model.object["checkpoint"] as? String == "e2e" && model.object["step"] as? Int == 5)
        let loaded = try await server.request("POST", "/v1/checkpoints/e2e/load")
        #expect(loaded.status == 200 && loaded.object["step"] as? Int == 5, "\(loaded.text)")
        // The first groups came from the untrained policy: both are stale now.
        let late = try await server.request("POST", "/v1/train/step", json: ["algorithm": "grao", "group_ids": ids])
        #expect(late.status == 200 && late.object["stale_groups"] as? Int == 2, "\(late.text)")

        // Restart on the same data directory: registrations and checkpoints are still there.
        #expect(await server.stop() == 0)
        server = try await StateServerProcess.start(dataDirectory: data.path)
        let rewards = try await server.request("GET", "/v1/rewards")
        let names = (rewards.object["registered"] as? [[String: Any]])?.map { $0["name"] as? String }
        #expect(names == ["judge"])
        let again = try await server.request("POST", "/v1/score", json: [
            "reward": "judge", "items": [["prompt": "q", "completion": "Rome", "reference": "Rome"]]])
        #expect((again.object["results"] as? [[String: Any]])?.first?["score"] as? Double == 1)
        let listed = try await server.request("GET", "/v1/checkpoints")
        let entries = try #require(listed.object["checkpoints"] as? [[String: Any]])
        #expect(entries.map { $0["name"] as? String } == ["broken", "e2e"])
        #expect(entries.last?["step"] as? Int == 5)
        #expect(try await server.request("GET", "/v1/model").object["step"] as? Int == 0)
        let reloaded = try await server.request("POST", "/v1/checkpoints/e2e/load")
        #expect(reloaded.status == 200, "\(reloaded.text)")
        #expect(try await server.request("GET", "/v1/model").object["step"] as? Int == 5)
        #expect(try await server.request("DELETE", "/v1/rewards/judge").status == 200)
        #expect(await server.stop() == 0)
        withExtendedLifetime(judge) {}
    }
}
