/// The one error type of the Tokenization module: a vocabulary, merge list or chat template that cannot be used,
/// naming the entry at fault.
public struct TokenizationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Sendable {
        case invalidVocabulary
        case invalidMerge
        case invalidSpecialToken
        case unsupportedPreTokenizer
        case unsupportedChatTemplate
        case invalidChat
    }

    /// The category of the problem.
    public let kind: Kind
    /// Explanation naming the token, merge or template part at fault.
    public let message: String

    /// Makes an error of `kind` with a message naming the culprit.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// One line for logs and HTTP error bodies: kind and message.
    public var description: String { "tokenizer \(kind.rawValue): \(message)" }
}
