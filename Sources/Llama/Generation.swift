/// Turns token ids back into text; the generator needs it only to detect stop strings. The GGUF
/// tokenizer conforms (`BPETokenizer+GGUF.swift`); tests use small fakes.
public protocol TokenTextDecoding: Sendable {
    /// The text of `tokens`, with invalid or partial UTF-8 replaced rather than rejected.
    func text(of tokens: [Int]) -> String
}

/// One prompt's group of samples to generate.
public struct GenerationRequest: Sendable {
    /// Prompt token ids (already chat-formatted if wanted); at least one.
    public var prompt: [Int]
    /// G: samples drawn from this prompt; they share its prefilled KV cache.
    public var sampleCount: Int
    /// Upper bound on generated tokens per sample (EOS included).
    public var maxTokens: Int
    /// Temperature and truncation.
    public var sampling: SamplingParameters
    /// Seed of the random streams; sample g of this request draws from stream (seed, g).
    public var seed: UInt64
    /// Generation ends when the completion text contains any of these (the text is cut before it).
    public var stop: [String]

    /// A request; see the properties for meaning.
    public init(prompt: [Int], sampleCount: Int = 1, maxTokens: Int = 64, sampling: SamplingParameters = .init(),
                seed: UInt64 = 0, stop: [String] = []) {
        self.prompt = prompt
        self.sampleCount = sampleCount
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.seed = seed
        self.stop = stop
    }
}

/// Why a sample ended.
public enum FinishReason: String, Sendable, Codable {
    /// The model emitted an end-of-sequence token (kept as the last token).
    case endOfSequence = "eos"
    /// The text reached one of the request's stop strings.
    case stopString = "stop"
    /// `maxTokens` (or the context length) was reached.
    case length
}

/// One generated completion.
public struct GeneratedSample: Sendable, Equatable {
    /// Generated token ids, including a final EOS or the token that completed a stop string.
    public var tokens: [Int]
    /// log π(token | prefix) of each generated token under the model itself (temperature 1, no
    /// truncation): the quantity the trainers need, independent of the sampling settings.
    public var logProbs: [Float]
    /// Decoded completion, EOS excluded, cut before a matched stop string (empty without a decoder).
    public var text: String
    /// Why generation ended.
    public var finishReason: FinishReason

    /// A sample assembled outside `generate` (the API's continuous-batching decoder makes its own).
    public init(tokens: [Int], logProbs: [Float], text: String, finishReason: FinishReason) {
        self.tokens = tokens
        self.logProbs = logProbs
        self.text = text
        self.finishReason = finishReason
    }
}
