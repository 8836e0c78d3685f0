import HTTP
import Llama
import Tokenization

/// One prompt of a request, as text and as the token ids the model will see.
public struct PromptInput: Sendable {
    /// The prompt text after chat formatting (what was tokenized).
    public var text: String
    /// Its token ids.
    public var tokens: [Int]
    /// The field it came from, for messages (`prompts[2]`).
    public var field: String

    /// Reads `prompt` (one) or, with `allowMany`, `prompts` (several): each a string, or a list of chat messages
    /// `[{"role", "content"}]` rendered with the model's chat template (generation prompt appended). With
    /// `"chat": true` a string is wrapped as one user message. `"parse_special": true` lets a plain string spell
    /// control tokens such as `<|im_start|>` (off by default: user text must not forge turns).
    public static func read(_ body: JSONObjectReader, info: ModelInfo, limits: APIServer.RequestLimits,
                            allowMany: Bool) throws(HTTPError) -> [PromptInput] {
        let chat = try body.optionalBool("chat") ?? false
        let special = try body.optionalBool("parse_special") ?? false
        var raws: [(field: String, value: Any)] = []
        let single = body.raw("prompt")
        let many = allowMany ? try body.optionalArray("prompts", maxCount: limits.maxPrompts) : nil
        switch (single, many) {
        case (nil, nil):
            throw body.invalid(allowMany ? "prompts" : "prompt", code: "missing_field",
                               allowMany ? "is required (or give one 'prompt')" : "is required")
        case (.some, .some):
            throw body.invalid("prompt", "cannot be given together with 'prompts'")
        case (let one?, nil):
            raws = [(body.name("prompt"), one)]
        case (nil, let list?):
            if list.isEmpty { throw body.invalid("prompts", "must not be empty") }
            raws = list.enumerated().map { (body.name("prompts[\($0.offset)]"), $0.element) }
        }
        return try raws.map { (field, value) throws(HTTPError) in
            try make(value, field: field, chat: chat, special: special, info: info)
        }
    }

    /// One prompt from a string or a message list.
    public static func make(_ value: Any, field: String, chat: Bool, special: Bool, info: ModelInfo) throws(HTTPError) -> PromptInput {
        let prompt: PromptInput
        if let text = value as? String {
            if chat {
                prompt = try render([ChatMessage(role: "user", content: text)], field: field, info: info)
            } else {
                prompt = PromptInput(text: text, tokens: info.tokenizer.encode(text, parseSpecial: special), field: field)
            }
        } else if let list = value as? [Any] {
            prompt = try render(try messages(list, field: field), field: field, info: info)
        } else {
            throw HTTPError(.badRequest, code: "invalid_field",
                            message: "field '\(field)' must be a string or a list of chat messages, got \(JSONObjectReader.describe(value))")
        }
        if prompt.tokens.isEmpty {
            throw HTTPError(.badRequest, code: "invalid_field", message: "field '\(field)' has no tokens")
        }
        return prompt
    }

    /// Chat messages from a JSON array of `{"role", "content"}` objects (OpenAI's optional `name` is allowed
    /// and unused).
    public static func messages(_ list: [Any], field: String) throws(HTTPError) -> [ChatMessage] {
        if list.isEmpty { throw HTTPError(.badRequest, code: "invalid_field", message: "field '\(field)' must hold at least one message") }
        var result: [ChatMessage] = []
        for (i, element) in list.enumerated() {
            guard let object = element as? [String: Any] else {
                throw HTTPError(.badRequest, code: "invalid_field",
                                message: "field '\(field)[\(i)]' must be a message object, got \(JSONObjectReader.describe(element))")
            }
            let message = JSONObjectReader(values: object, path: "\(field)[\(i)]")
            let role = try message.string("role")
            guard ["system", "user", "assistant", "developer"].contains(role) else {
                throw message.invalid("role", "must be one of system, user, assistant, developer; got '\(role.prefix(40))'")
            }
            let content = try message.string("content")
            _ = try message.optionalString("name")
            try message.finish()
            result.append(ChatMessage(role: role == "developer" ? "system" : role, content: content))
        }
        return result
    }

    /// A conversation in the model's chat template, ending with the assistant header.
    static func render(_ messages: [ChatMessage], field: String, info: ModelInfo) throws(HTTPError) -> PromptInput {
        guard let template = info.chatTemplate else {
            throw HTTPError(.badRequest, code: "no_chat_template",
                            message: "field '\(field)': the loaded model has no chat template grao can render; send plain text")
        }
        // Message text must not be able to close its turn and forge another: render, then tokenize with special
        // tokens parsed only where the template put them.
        if messages.contains(where: { $0.content.contains("<|im_start|>") || $0.content.contains("<|im_end|>") }) {
            throw HTTPError(.badRequest, code: "invalid_field",
                            message: "field '\(field)': message content must not contain the chat control tokens <|im_start|> or <|im_end|>")
        }
        let text = template.render(messages, addGenerationPrompt: true)
        return PromptInput(text: text, tokens: info.tokenizer.encode(text, parseSpecial: true), field: field)
    }
}
