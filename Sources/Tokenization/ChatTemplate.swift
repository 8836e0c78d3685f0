/// One chat message.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// "system", "user", "assistant" (ChatML writes any role verbatim).
    public var role: String
    /// The message text.
    public var content: String

    /// A message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Renders a message list as the model's chat template would. grao has no Jinja engine: it recognises ChatML-shaped
/// templates (`<|im_start|>role\ncontent<|im_end|>\n` per message, `<|im_start|>assistant\n` as the generation
/// prompt) and the "default system message" block some of them carry (SmolLM2's inserts "You are a helpful AI
/// assistant named SmolLM, trained by Hugging Face" when the first message is not a system message). Any other
/// template is refused with `unsupportedChatTemplate` rather than rendered wrongly.
public struct ChatTemplate: Sendable, Equatable {
    /// System message inserted before a conversation that does not start with one; nil for none.
    public let defaultSystemMessage: String?

    /// A ChatML template with an optional default system message.
    public init(defaultSystemMessage: String?) {
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognises a Jinja chat template (GGUF `tokenizer.chat_template`).
    public init(jinja template: String) throws(TokenizationError) {
        let t = Self.unescape(template)
        let chatml = ["<|im_start|>", "<|im_end|>", "message['role']", "message['content']", "for message in messages"]
        guard chatml.allSatisfy(t.contains) else {
            throw TokenizationError(.unsupportedChatTemplate,
                                    "only ChatML chat templates are supported (this one lacks "
                                        + "\(chatml.filter { !t.contains($0) }.map { "\"\($0)\"" }.joined(separator: ", ")))")
        }
        guard t.contains("'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'") else {
            throw TokenizationError(.unsupportedChatTemplate,
                                    "the template's message block is not the ChatML one grao implements")
        }
        guard t.contains("add_generation_prompt") && t.contains("'<|im_start|>assistant\n'") else {
            throw TokenizationError(.unsupportedChatTemplate, "the template has no ChatML generation prompt")
        }
        // The optional default-system block: `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>
        // system\n...<|im_end|>\n' }}{% endif %}`.
        if t.contains("messages[0]['role'] != 'system'") {
            let opener = "'<|im_start|>system\n"
            guard let start = t.firstRange(of: opener),
                  let end = t[start.upperBound...].firstRange(of: "<|im_end|>\n'")
            else {
                throw TokenizationError(.unsupportedChatTemplate, "cannot find the default system message")
            }
            let message = String(t[start.upperBound..<end.lowerBound])
            guard !message.contains("'") && !message.contains("{") else {
                throw TokenizationError(.unsupportedChatTemplate, "the default system message is not a plain literal")
            }
            defaultSystemMessage = message
        } else {
            defaultSystemMessage = nil
        }
    }

    /// The prompt text for `messages`; with `addGenerationPrompt` it ends with the assistant header so the model
    /// writes the reply. Tokenize the result with special parsing on.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var out = ""
        if let defaultSystemMessage, let first = messages.first, first.role != "system" {
            out += "<|im_start|>system\n\(defaultSystemMessage)<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    /// Jinja string literals may spell a newline as `\n`; GGUF files carry either form.
    private static func unescape(_ s: String) -> String {
        s.replacing("\\n", with: "\n")
    }
}
