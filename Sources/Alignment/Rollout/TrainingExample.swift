import Tokenization

/// One prompt to train on: the conversation so far (a plain prompt is one user message), the demonstration
/// answer GRAO, SFT and DPO learn from, an optional rejected answer (DPO), and free-form metadata passed to
/// reward models. Comes from a JSONL dataset (`TrainingDataset`) or an API request.
public struct TrainingExample: Sendable, Equatable, Codable {
    /// Chat messages; the last one is from the user.
    public var messages: [ChatMessage]
    /// The reference (demonstration) answer y.
    public var reference: String?
    /// A dispreferred answer, for DPO pairs given rather than derived.
    public var rejected: String?
    /// String attributes (task, id...) forwarded with every reward query; non-string JSON values as JSON text.
    public var metadata: [String: String]
    /// 1-based line in the dataset file (0 when not from a file), for messages.
    public var line: Int

    /// An example; see the properties for meaning.
    public init(messages: [ChatMessage], reference: String? = nil, rejected: String? = nil,
                metadata: [String: String] = [:], line: Int = 0) {
        self.messages = messages
        self.reference = reference
        self.rejected = rejected
        self.metadata = metadata
        self.line = line
    }

    /// A one-message example from prompt text.
    public init(prompt: String, reference: String? = nil, rejected: String? = nil, metadata: [String: String] = [:]) {
        self.init(messages: [ChatMessage(role: "user", content: prompt)], reference: reference, rejected: rejected,
                  metadata: metadata)
    }

    /// The text reward models see as the prompt: the last user message.
    public var promptText: String {
        messages.last(where: { $0.role == "user" })?.content ?? messages.last?.content ?? ""
    }
}
