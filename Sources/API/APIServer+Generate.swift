import Foundation
import HTTP
import Llama

extension APIServer {
    /// `POST /v1/generate`: groups of samples for one or many prompts (plain text or chat messages), with the
    /// per-token log-probabilities the trainers use. Body fields: `prompt` | `prompts`, `chat`, `parse_special`,
    /// `n` | `group_size`, `max_tokens` (default 128), `temperature`, `top_p`, `top_k`, `min_p`, `seed`, `stop`,
    /// `logprobs` (include per-token log-probs; default false).
    func registerGenerateRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/generate") { [self] request in
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let prompts = try PromptInput.read(body, info: info, limits: configuration.limits, allowMany: true)
            let options = try GenerationOptions.read(body, limits: configuration.limits, vocabularySize: info.config.vocabSize,
                                                     defaultMaxTokens: min(128, configuration.limits.maxNewTokens),
                                                     groupSizeAlias: true)
            let logprobs = try body.optionalBool("logprobs") ?? false
            try body.finish()
            let requests = try options.requests(for: prompts, contextLength: info.config.contextLength, limits: configuration.limits)

            let start = ContinuousClock.now
            let groups = try await generate(requests)
            let elapsed = ContinuousClock.now - start
            var completionTokens = 0
            let groupObjects: [[String: Any]] = groups.enumerated().map { index, samples in
                [
                    "prompt_index": index,
                    "prompt_tokens": prompts[index].tokens.count,
                    "samples": samples.map { sample -> [String: Any] in
                        completionTokens += sample.tokens.count
                        var object: [String: Any] = [
                            "text": sample.text, "tokens": sample.tokens, "token_count": sample.tokens.count,
                            "finish_reason": sample.finishReason.rawValue,
                        ]
                        if logprobs {
                            object["logprobs"] = sample.logProbs.map { JSONResponse.number($0) }
                            object["sum_logprob"] = JSONResponse.number(sample.logProbs.reduce(0) { $0 + Double($1) })
                        }
                        return object
                    },
                ]
            }
            let promptTokens = prompts.reduce(0) { $0 + $1.tokens.count }
            return try JSONResponse.make([
                "model": info.name, "seed": options.seed, "groups": groupObjects,
                "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                          "total_tokens": promptTokens + completionTokens],
                "seconds": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            ] as [String: Any])
        }
    }

    /// Runs requests on the engine and records the token counters. Every generating route goes through here
    /// (streaming ones with an `observer`, see `ComputeEngine.generate`).
    public func generate(_ requests: [GenerationRequest], observer: GenerationObserver? = nil) async throws -> [[GeneratedSample]] {
        let groups: [[GeneratedSample]]
        do {
            groups = try await engine.generate(requests, observer: observer)
        } catch let error as LlamaError {
            // Requests are validated before they reach the model; what it still refuses is the client's.
            switch error {
            case .invalidRequest, .tokenOutOfRange:
                throw HTTPError(.badRequest, code: "invalid_request", message: error.description)
            default:
                throw error
            }
        }
        metrics.promptTokens.increment(by: Double(requests.reduce(0) { $0 + $1.prompt.count }))
        metrics.generatedTokens.increment(by: Double(groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.tokens.count } }))
        return groups
    }
}
