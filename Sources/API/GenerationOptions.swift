import HTTP
import Llama

/// The sampling fields shared by `/v1/generate` and the OpenAI routes, read and range-checked with errors naming
/// the field, then turned into the model's `GenerationRequest`s.
public struct GenerationOptions: Sendable {
    /// Samples per prompt (`n`, or `group_size`).
    public var sampleCount: Int
    /// New tokens per sample; nil means "as many as fit" (the OpenAI chat default), capped by the server limit.
    public var maxTokens: Int?
    /// Temperature and truncation.
    public var sampling: SamplingParameters
    /// The seed of sample g's random stream (seed, g); drawn at random when the client gave none.
    public var seed: UInt64
    /// Whether the client gave the seed (responses echo the one used either way).
    public var seedGiven: Bool
    /// Stop strings; the text is cut before the first one found.
    public var stop: [String]

    /// Seeds travel as JSON numbers, exact only up to 2^53.
    public static let maxSeed = 1 << 53

    /// Reads the fields. `defaultMaxTokens` nil leaves `maxTokens` nil when absent; `groupSizeAlias` also
    /// accepts `group_size` for `n` (the grao name).
    public static func read(_ body: JSONObjectReader, limits: APIServer.RequestLimits, vocabularySize: Int,
                            defaultMaxTokens: Int?, groupSizeAlias: Bool) throws(HTTPError) -> GenerationOptions {
        var count = try body.optionalInt("n", in: 1...limits.maxGroupSize)
        if groupSizeAlias, let group = try body.optionalInt("group_size", in: 1...limits.maxGroupSize) {
            if count != nil { throw body.invalid("group_size", "cannot be given together with 'n' (they are the same setting)") }
            count = group
        }
        let maxTokens = try body.optionalInt("max_tokens", in: 1...limits.maxNewTokens) ?? defaultMaxTokens
        let temperature = try body.optionalDouble("temperature", in: 0...100) ?? 0.7
        if temperature > 0 && temperature < 0.001 {
            // 1/temperature would overflow the logit scaling in Float; such values mean greedy anyway.
            throw body.invalid("temperature", "must be 0 (greedy) or at least 0.001, got \(temperature)")
        }
        let topP = try body.optionalDouble("top_p", in: 0...1) ?? 1
        if topP == 0 { throw body.invalid("top_p", "must be in (0, 1]; 0 would keep no token") }
        let topK = try body.optionalInt("top_k", in: 0...vocabularySize) ?? 0
        let minP = try body.optionalDouble("min_p", in: 0...1) ?? 0
        let givenSeed = try body.optionalInt("seed", in: 0...maxSeed)
        let stop = try body.optionalStringOrStrings("stop", maxCount: limits.maxStopStrings) ?? []
        if let index = stop.firstIndex(where: \.isEmpty) {
            throw body.invalid(stop.count == 1 && body.raw("stop") is String ? "stop" : "stop[\(index)]", "must not be an empty string")
        }
        if let index = stop.firstIndex(where: { $0.utf8.count > 256 }) {
            throw body.invalid("stop[\(index)]", "is longer than 256 bytes")
        }
        return GenerationOptions(
            sampleCount: count ?? 1, maxTokens: maxTokens,
            sampling: SamplingParameters(temperature: Float(temperature), topK: topK, topP: Float(topP), minP: Float(minP)),
            seed: givenSeed.map(UInt64.init) ?? UInt64.random(in: 0...UInt64(maxSeed)), seedGiven: givenSeed != nil, stop: stop)
    }

    /// One request per prompt. Checks that each prompt plus its new tokens fits the context, naming the prompt's
    /// field (or `max_tokens`, when the client set it); without a client `max_tokens`, a sample may use the rest
    /// of the context up to the server's limit.
    public func requests(for prompts: [PromptInput], contextLength: Int, limits: APIServer.RequestLimits,
                         maxTokensField: String = "max_tokens") throws(HTTPError) -> [GenerationRequest] {
        let promptTokens = prompts.reduce(0) { $0 + $1.tokens.count }
        if promptTokens > limits.maxPromptTokens {
            throw HTTPError(.badRequest, code: "invalid_field",
                            message: "field '\(prompts.count == 1 ? prompts[0].field : String(prompts[0].field.prefix { $0 != "[" }))' "
                                + "has \(promptTokens) prompt tokens; at most \(limits.maxPromptTokens) per request")
        }
        var requests: [GenerationRequest] = []
        for prompt in prompts {
            let room = contextLength - prompt.tokens.count
            if room < 1 {
                throw HTTPError(.badRequest, code: "context_length_exceeded",
                                message: "field '\(prompt.field)' has \(prompt.tokens.count) tokens; the context holds \(contextLength) "
                                    + "and at least one must be left to generate")
            }
            let tokens: Int
            if let maxTokens {
                if maxTokens > room {
                    throw HTTPError(.badRequest, code: "context_length_exceeded",
                                    message: "field '\(maxTokensField)' (\(maxTokens)) plus the \(prompt.tokens.count) tokens of '\(prompt.field)' "
                                        + "exceed the context length \(contextLength)")
                }
                tokens = maxTokens
            } else {
                tokens = min(room, limits.maxNewTokens)
            }
            requests.append(GenerationRequest(prompt: prompt.tokens, sampleCount: sampleCount, maxTokens: tokens,
                                              sampling: sampling, seed: seed, stop: stop))
        }
        let samples = prompts.count * sampleCount
        if samples > limits.maxSamples {
            throw HTTPError(.badRequest, code: "invalid_field", message: "field 'n': \(prompts.count) prompts × \(sampleCount) samples = "
                                + "\(samples) samples; at most \(limits.maxSamples) per request")
        }
        let positions = ComputeEngine.positions(requests)
        if positions > limits.maxPositions {
            throw HTTPError(.badRequest, code: "invalid_field", message: "field '\(maxTokensField)': the request would reserve \(positions) "
                                + "cache positions (prompts + samples × max tokens); at most \(limits.maxPositions) per request; "
                                + "lower max_tokens or n")
        }
        return requests
    }
}
