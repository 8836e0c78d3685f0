import Llama
import Tokenization

/// Text <-> tokens for the rollout: how a conversation becomes prompt tokens, how an answer (reference,
/// rejected, or a sample given as text) becomes completion tokens, and which tokens end a sample. A protocol so
/// that tests can drive tiny random models with a toy vocabulary.
public protocol RolloutCodec: Sendable {
    /// Prompt tokens for a conversation, ready for the assistant's answer.
    func promptTokens(_ messages: [ChatMessage]) throws -> [Int]
    /// Completion tokens of an answer, ending with the end-of-turn token so training on it teaches stopping.
    func answerTokens(_ text: String) -> [Int]
    /// The text of generated tokens (end-of-sequence tokens excluded by the generator).
    func text(of tokens: [Int]) -> String
    /// Token ids that end a sample.
    var endOfSequence: Set<Int> { get }
}

/// The real model's codec: the GGUF's byte-level BPE tokenizer and its ChatML template.
public struct ChatRolloutCodec: RolloutCodec, TokenTextDecoding {
    public let tokenizer: BPETokenizer
    public let template: ChatTemplate
    public let endOfSequence: Set<Int>

    /// A codec for `tokenizer` formatting prompts with `template`.
    public init(tokenizer: BPETokenizer, template: ChatTemplate) {
        self.tokenizer = tokenizer
        self.template = template
        self.endOfSequence = tokenizer.endOfGenerationIds
    }

    /// Renders the template with the generation prompt; its control tokens are parsed as special tokens.
    public func promptTokens(_ messages: [ChatMessage]) throws -> [Int] {
        tokenizer.encode(template.render(messages, addGenerationPrompt: true), parseSpecial: true)
    }

    /// Answer text (special-token text in it stays plain text) plus the lowest end-of-turn id.
    public func answerTokens(_ text: String) -> [Int] {
        tokenizer.encode(text, parseSpecial: false) + Array(endOfSequence.sorted().prefix(1))
    }

    public func text(of tokens: [Int]) -> String { tokenizer.decode(tokens) }
}

/// Lets the generator decode stop strings and sample text through any codec.
struct CodecTextDecoder: TokenTextDecoding {
    let codec: any RolloutCodec
    func text(of tokens: [Int]) -> String { codec.text(of: tokens) }
}
