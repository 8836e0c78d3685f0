import API
import Foundation
import Llama
import Tokenization

extension BenchAPICommand {
    /// Prompts with answers a rule can check, so `POST /v1/groups` scores every sample and reference for real.
    static let groupPrompts: [(prompt: String, reference: String)] = [
        ("Write a haiku about the sea.", "sea"), ("What is the capital of France?", "Paris"),
        ("Explain gravity to a child.", "gravity"), ("List three prime numbers.", "2"),
    ]

    /// The reward: a built-in rule (the reference appears in the answer, ignoring case), so the figure is the API's
    /// own work (JSON, tokenizing, scoring, advantages, storing, sockets) and not a judge's latency.
    static var groupReward: [String: Any] { ["type": "string_check", "operation": "ilike"] }

    /// `api_groups_overhead`: `POST /v1/groups` for P prompts × G samples (generate + score + advantages + store)
    /// against the engine generating the same groups in the same process (`engine.generate` with the route's token
    /// ids, sampling and per-prompt seeds `seed + i`: the same tokens, checked by `same_tokens`). Alternating
    /// repetitions, medians.
    func groupsOverhead(port: UInt16, engine: ComputeEngine, template: ChatTemplate, tokenizer: BPETokenizer) async throws {
        let items = (0..<prompts).map { Self.groupPrompts[$0 % Self.groupPrompts.count] }
        let seed: UInt64 = 42
        let body = [UInt8](try JSONSerialization.data(withJSONObject: [
            "prompts": items.map { ["prompt": $0.prompt, "reference": $0.reference] }, "group_size": group,
            "max_tokens": maxTokens, "temperature": 0.7, "seed": seed, "reward": Self.groupReward,
        ] as [String: Any]))
        let requests = items.enumerated().map { i, item -> GenerationRequest in
            let rendered = template.render([ChatMessage(role: "user", content: item.prompt)], addGenerationPrompt: true)
            return GenerationRequest(prompt: tokenizer.encode(rendered, parseSpecial: true), sampleCount: group,
                                     maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0.7), seed: seed &+ UInt64(i))
        }
        var direct: [Double] = [], overHTTP: [Double] = []
        var directTokens = 0, httpTokens = 0, scoredSamples = 0
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            let groups = try await engine.generate(requests)
            direct.append(start.elapsedSeconds)
            directTokens = groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.tokens.count } }
            let (seconds, tokens, scored) = try await Self.onThread { () throws -> (Double, Int, Int) in
                let start = ContinuousClock.now
                let response = try Self.post(port: port, path: "/v1/groups", body: body)
                let elapsed = start.elapsedSeconds
                let samples = (response["groups"] as? [[String: Any]] ?? []).flatMap { $0["samples"] as? [[String: Any]] ?? [] }
                return (elapsed, samples.reduce(0) { $0 + ($1["token_count"] as? Int ?? 0) },
                        samples.filter { $0["score"] is Double }.count)
            }
            overHTTP.append(seconds)
            (httpTokens, scoredSamples) = (tokens, scored)
        }
        let directMedian = Self.median(direct), httpMedian = Self.median(overHTTP)
        try Self.emit(["figure": "api_groups_overhead", "prompts": prompts, "group": group, "max_tokens": maxTokens,
                       "reward": "string_check ilike", "engine_direct_seconds": directMedian, "http_seconds": httpMedian,
                       "overhead_fraction": httpMedian / directMedian - 1, "direct_tokens": directTokens,
                       "http_tokens": httpTokens, "same_tokens": directTokens == httpTokens,
                       "scored_samples": scoredSamples, "repetitions": repetitions, "direct_all": direct, "http_all": overHTTP])
    }
}
