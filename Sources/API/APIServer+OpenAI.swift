import Foundation
import HTTP
import Llama

/// OpenAI-compatible `POST /v1/chat/completions` and `POST /v1/completions`, shaped so the `openai` Python
/// client (and any OpenAI-style judge caller, grao's own included) works unchanged, streamed (`stream: true`,
/// Server-Sent Events, `APIServer+OpenAIStream.swift`) or not. Differences, each answered with a 400 naming the
/// field rather than silently ignored: no tools or response formats, no penalties or logit bias, and log-probs of
/// the sampled tokens only (no top alternatives).
extension APIServer {
    func registerOpenAIRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/chat/completions") { [self] request in
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let streaming = try Self.readOpenAICommon(body)
            guard let list = try body.optionalArray("messages", maxCount: 1024) else {
                throw body.invalid("messages", code: "missing_field", "is required")
            }
            let prompt = try PromptInput.render(try PromptInput.messages(list, field: "messages"), field: "messages", info: info)
            if body.has("max_tokens") && body.has("max_completion_tokens") {
                throw body.invalid("max_completion_tokens", "cannot be given together with 'max_tokens'")
            }
            let tokensField = body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens"
            let maxTokens = try body.optionalInt(tokensField, in: 1...configuration.limits.maxNewTokens)
            var options = try GenerationOptions.read(body, limits: configuration.limits, vocabularySize: info.config.vocabSize,
                                                     defaultMaxTokens: nil, groupSizeAlias: false)
            options.maxTokens = maxTokens ?? options.maxTokens
            let logprobs = try body.optionalBool("logprobs") ?? false
            if let top = try body.optionalInt("top_logprobs", in: 0...20), top > 0 {
                throw body.invalid("top_logprobs", "is not supported (only the sampled tokens' log-probs are returned); use 0 or omit it")
            }
            try body.finish()
            let requests = try options.requests(for: [prompt], contextLength: info.config.contextLength,
                                                limits: configuration.limits, maxTokensField: tokensField)
            if let streaming {
                return try await streamOpenAI(requests, info: info, format: .init(
                    chat: true, id: "chatcmpl-\(request.id)", created: Int(Date().timeIntervalSince1970), model: info.name,
                    fingerprint: "grao-seed-\(options.seed)", logprobs: logprobs, includeUsage: streaming.includeUsage,
                    promptTokens: prompt.tokens.count))
            }
            let samples = try await generate(requests)[0]
            let choices: [[String: Any]] = samples.enumerated().map { index, sample in
                [
                    "index": index, "finish_reason": Self.openAIFinishReason(sample.finishReason),
                    "message": ["role": "assistant", "content": sample.text] as [String: Any],
                    "logprobs": logprobs ? ["content": Self.tokenLogprobs(sample, info: info)] as [String: Any] : NSNull(),
                ]
            }
            let completion = samples.reduce(0) { $0 + $1.tokens.count }
            return try JSONResponse.make([
                "id": "chatcmpl-\(request.id)", "object": "chat.completion", "created": Int(Date().timeIntervalSince1970),
                "model": info.name, "choices": choices, "system_fingerprint": "grao-seed-\(options.seed)",
                "usage": ["prompt_tokens": prompt.tokens.count, "completion_tokens": completion,
                          "total_tokens": prompt.tokens.count + completion],
            ] as [String: Any])
        }

        routes.add(.POST, "/v1/completions") { [self] request in
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let streaming = try Self.readOpenAICommon(body)
            var prompts: [PromptInput]
            switch body.raw("prompt") {
            case let text as String:
                prompts = [try PromptInput.make(text, field: "prompt", chat: false, special: false, info: info)]
            case let list as [Any]:
                guard (1...configuration.limits.maxPrompts).contains(list.count) else {
                    throw body.invalid("prompt", "must hold 1...\(configuration.limits.maxPrompts) prompts, got \(list.count)")
                }
                prompts = []
                for (i, element) in list.enumerated() {
                    guard let text = element as? String else {
                        throw body.invalid("prompt[\(i)]", "must be a string (token-id prompts are not supported), got \(JSONObjectReader.describe(element))")
                    }
                    prompts.append(try PromptInput.make(text, field: "prompt[\(i)]", chat: false, special: false, info: info))
                }
            case nil:
                throw body.invalid("prompt", code: "missing_field", "is required")
            case let other?:
                throw body.invalid("prompt", "must be a string or an array of strings, got \(JSONObjectReader.describe(other))")
            }
            // OpenAI's legacy default is 16 new tokens.
            let options = try GenerationOptions.read(body, limits: configuration.limits, vocabularySize: info.config.vocabSize,
                                                     defaultMaxTokens: min(16, configuration.limits.maxNewTokens), groupSizeAlias: false)
            let logprobs = try body.optionalInt("logprobs", in: 0...5)
            if let logprobs, logprobs > 0 {
                throw body.invalid("logprobs", "above 0 asks for top alternatives, which are not supported; 0 returns the sampled tokens' log-probs")
            }
            if try body.optionalBool("echo") == true { throw body.invalid("echo", "is not supported") }
            if let suffix = try body.optionalString("suffix"), !suffix.isEmpty { throw body.invalid("suffix", "is not supported") }
            if let bestOf = try body.optionalInt("best_of", in: 0...1_000_000), bestOf != options.sampleCount, bestOf != 1 {
                throw body.invalid("best_of", "is not supported (only best_of equal to n)")
            }
            try body.finish()
            let requests = try options.requests(for: prompts, contextLength: info.config.contextLength, limits: configuration.limits)
            let promptTokens = prompts.reduce(0) { $0 + $1.tokens.count }
            if let streaming {
                return try await streamOpenAI(requests, info: info, format: .init(
                    chat: false, id: "cmpl-\(request.id)", created: Int(Date().timeIntervalSince1970), model: info.name,
                    fingerprint: "grao-seed-\(options.seed)", logprobs: logprobs != nil, includeUsage: streaming.includeUsage,
                    promptTokens: promptTokens))
            }
            let groups = try await generate(requests)
            var choices: [[String: Any]] = []
            for samples in groups {
                for sample in samples {
                    choices.append([
                        "index": choices.count, "text": sample.text, "finish_reason": Self.openAIFinishReason(sample.finishReason),
                        "logprobs": logprobs != nil ? Self.legacyLogprobs(sample, info: info) : NSNull(),
                    ])
                }
            }
            let completion = groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.tokens.count } }
            return try JSONResponse.make([
                "id": "cmpl-\(request.id)", "object": "text_completion", "created": Int(Date().timeIntervalSince1970),
                "model": info.name, "choices": choices, "system_fingerprint": "grao-seed-\(options.seed)",
                "usage": ["prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion],
            ] as [String: Any])
        }
    }

    /// What `stream` and `stream_options` asked for.
    struct StreamRequest {
        /// `stream_options.include_usage`: end with a chunk carrying the token counts.
        var includeUsage: Bool
    }

    /// Fields both OpenAI routes share that grao reads but does not act on, or refuses when set to what it
    /// cannot do; returns the streaming request (nil: answer with one JSON body). `model` is required by the
    /// OpenAI protocol and accepted whatever it names: this server has one.
    static func readOpenAICommon(_ body: JSONObjectReader) throws(HTTPError) -> StreamRequest? {
        _ = try body.optionalString("model")
        _ = try body.optionalString("user")
        body.ignore("metadata", "store", "service_tier")
        let stream = try body.optionalBool("stream") ?? false
        var includeUsage = false
        if let options = try body.optionalObject("stream_options") {
            guard stream else { throw body.invalid("stream_options", "is only allowed with 'stream': true") }
            includeUsage = try options.optionalBool("include_usage") ?? false
            try options.finish()
        }
        for key in ["frequency_penalty", "presence_penalty"] {
            if let value = try body.optionalDouble(key, in: -2...2), value != 0 { throw body.invalid(key, "is not supported (only 0)") }
        }
        if try body.optionalObject("logit_bias") != nil, let bias = body.raw("logit_bias") as? [String: Any], !bias.isEmpty {
            throw body.invalid("logit_bias", "is not supported (only an empty object)")
        }
        for key in ["tools", "tool_choice", "functions", "function_call", "response_format", "parallel_tool_calls"] where body.has(key) {
            throw body.invalid(key, "is not supported")
        }
        return stream ? StreamRequest(includeUsage: includeUsage) : nil
    }

    /// OpenAI has no separate "eos": both an end-of-turn token and a stop string are `stop`.
    static func openAIFinishReason(_ reason: FinishReason) -> String {
        reason == .length ? "length" : "stop"
    }

    /// Chat log-probs: one entry per generated token (the end-of-turn token included, as it was sampled), with
    /// its text, UTF-8 bytes and log-prob; `top_logprobs` is empty (alternatives are not computed).
    static func tokenLogprobs(_ sample: GeneratedSample, info: ModelInfo) -> [[String: Any]] {
        zip(sample.tokens, sample.logProbs).map { tokenLogprob($0, $1, info: info) }
    }

    /// One chat log-prob entry.
    static func tokenLogprob(_ token: Int, _ logprob: Float, info: ModelInfo) -> [String: Any] {
        let bytes = info.tokenizer.decodeBytes([token])
        return ["token": String(decoding: bytes, as: UTF8.self), "logprob": JSONResponse.number(logprob),
                "bytes": bytes.map(Int.init), "top_logprobs": [] as [Any]]
    }

    /// Legacy completions log-probs: parallel arrays of token texts, log-probs and character offsets.
    static func legacyLogprobs(_ sample: GeneratedSample, info: ModelInfo) -> [String: Any] {
        var offsets: [Int] = [], offset = 0, texts: [String] = []
        for token in sample.tokens {
            let text = info.tokenizer.decode([token])
            offsets.append(offset)
            offset += text.count
            texts.append(text)
        }
        return ["tokens": texts, "token_logprobs": sample.logProbs.map { JSONResponse.number($0) },
                "top_logprobs": NSNull(), "text_offset": offsets]
    }
}
