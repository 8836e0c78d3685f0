import API
import Logging
import Foundation
import GGUF
import Llama
import Rewards
import Testing
import Tokenization

/// `model_judge` over HTTP against a real `grao serve` process with the real model: `/v1/score` returns the verdicts
/// the in-process scorer gives for the same items; a registered model judge scores `/v1/groups`, a fresh-prompt
/// `/v1/train/step` and a training run to its end (rewards computed while the engine also samples and trains:
/// nothing deadlocks).
@Suite(.serialized) struct ModelJudgeLiveTests {
    static let items: [RewardItem] = [
        RewardItem(prompt: "What is 2+2?", completion: "4", reference: "4"),
        RewardItem(prompt: "What is 2+2?", completion: "7", reference: "4"),
        RewardItem(prompt: "What is the capital of France?", completion: "The capital of France is Paris.",
                   reference: "The capital of France is London."),
        RewardItem(prompt: "What is the capital of France?", completion: "The capital of France is London.",
                   reference: "The capital of France is Paris."),
    ]

    @Test(.enabled(if: StateServerProcess.modelPresent, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func modelJudgeOverHTTPMatchesTheInProcessScorer() async throws {
        let spec = #"{"type": "model_judge", "identical_is_tie": false, "both_orders": true}"#
        // The in-process judge: the same file, loaded as grao serve loads it.
        let file = try GGUFFile(path: StateServerProcess.modelPath)
        let scorer = ModelLikelihoodScorer(model: try LlamaModel(gguf: file), tokenizer: try BPETokenizer(gguf: file),
                                           template: try ChatTemplate(gguf: file))
        let judge = try RewardSpec.makeReward(json: spec, context: RewardContext(logger: .init(label: "test"), likelihoodScorer: scorer))
        let expected = await judge.score(Self.items)

        let data = try ScratchDirectory()
        defer { data.cleanup() }
        let server = try await StateServerProcess.start(dataDirectory: data.path)
        let scored = try await server.request("POST", "/v1/score", #"{"reward": \#(spec), "items": \#(Self.itemsJSON)}"#)
        #expect(scored.status == 200, "\(scored.text)")
        let results = try #require(scored.object["results"] as? [[String: Any]])
        #expect(results.count == Self.items.count && scored.object["failed"] as? Int == 0)
        for (result, want) in zip(results, expected) {
            guard case .score(let s) = want else { Issue.record("in-process judge failed: \(want)"); continue }
            #expect(result["score"] as? Double == s.value, "\(result) vs \(s)")
            let components = result["components"] as? [String: Double] ?? [:]
            #expect(Set(components.keys) == Set(s.components.keys))
            // Same weights and tokens, batched differently (engine jobs of 8 prompts vs one batch): f32 rounding.
            for (k, v) in s.components { #expect(abs((components[k] ?? .nan) - v) < 1e-3, "\(k): \(components[k] ?? .nan) vs \(v)") }
        }
        print("model judge over HTTP: \(results.map { $0["score"] ?? "failure" })")

        // Registered, then used by name for groups (samples and r_y judged; the reference against itself ties).
        let registered = try await server.request("POST", "/v1/rewards", #"{"name": "judge", "spec": {"type": "model_judge"}}"#)
        #expect(registered.status == 201, "\(registered.text)")
        let groups = try await server.request("POST", "/v1/groups", json: [
            "prompts": [["prompt": "What is 2+2? Reply with the number only.", "reference": "4"]],
            "group_size": 2, "max_tokens": 8, "seed": 1, "reward": "judge"])
        #expect(groups.status == 201, "\(groups.text)")
        let group = try #require((groups.object["groups"] as? [[String: Any]])?.first)
        let samples = try #require(group["samples"] as? [[String: Any]])
        #expect(samples.count == 2 && samples.allSatisfy { [-1.0, 0, 1].contains($0["score"] as? Double ?? .nan) }, "\(samples)")
        #expect(group["reference_reward"] as? Double == 0 && group["reward"] as? String == "judge")

        // A fresh-prompt step and a one-step run judge their samples with the model between sampling and update.
        let step = try await server.request("POST", "/v1/train/step", json: [
            "algorithm": "grao", "prompts": [["prompt": "What is 3+3? Reply with the number only.", "reference": "6"]],
            "group_size": 2, "max_tokens": 8, "seed": 2, "reward": "judge", "trainer": ["mode": "lora", "lora_rank": 4]])
        #expect(step.status == 200, "\(step.text)")
        let rollout = try #require(step.object["rollout"] as? [String: Any])
        #expect(rollout["masked_samples"] as? Int == 0 && rollout["reference_reward_failures"] as? Int == 0, "\(rollout)")
        let run = try await server.request("POST", "/v1/runs", json: [
            "config": ["steps": 1, "group_size": 2, "max_tokens": 8, "seed": 1, "trainer": ["mode": "lora", "lora_rank": 4]],
            "dataset": ["examples": [["prompt": "What is 1+1? Reply with the number only.", "reference": "2"]]],
            "reward": "judge"])
        #expect(run.status == 201, "\(run.text)")
        let id = try #require(run.object["id"] as? String)
        let events = try await server.request("GET", "/v1/runs/\(id)/events")
        #expect(events.text.contains("event: step") && events.text.contains(#""state":"completed""#), "\(events.text)")
        #expect(await server.stop() == 0)
    }

    static var itemsJSON: String {
        let objects = items.map { ["prompt": $0.prompt, "completion": $0.completion, "reference": $0.reference ?? ""] }
        return String(decoding: try! JSONSerialization.data(withJSONObject: objects), as: UTF8.self)
    }
}
