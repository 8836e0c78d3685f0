import Alignment
import HTTP
import Llama
import Rewards
import Tokenization

/// The prompt items of `POST /v1/groups` and fresh-prompt `POST /v1/train/step` bodies, read and tokenized:
/// `{"prompt": "..." | "messages": [...], "reference"?: "...", "rejected"?: "...", "metadata"?: {...}}`.
/// Prompts are chat-formatted with the model's template (as training datasets are); answers are tokenized as
/// completions with the end-of-turn token appended.
struct GroupRequest {
    /// One item: the example and its tokens, with the field it came from for messages.
    struct Item {
        var example: TrainingExample
        var prompt: PromptInput
        var reference: [Int]?
        var rejected: [Int]?
    }

    /// Reads `key` (an array of prompt items, at most `limits.maxPrompts`). `requireReference` names the
    /// algorithm that needs one, for the message.
    static func readItems(_ body: JSONObjectReader, key: String, info: ModelInfo, limits: APIServer.RequestLimits,
                          requireReference: String?) throws -> [Item] {
        guard let readers = try body.optionalObjects(key, maxCount: limits.maxPrompts) else {
            throw body.invalid(key, code: "missing_field", "is required")
        }
        if readers.isEmpty { throw body.invalid(key, "must not be empty") }
        return try readers.map { try readItem($0, info: info, requireReference: requireReference) }
    }

    /// One prompt item; the reader is `finish()`ed unless `extraKeys` names fields the caller reads afterwards.
    static func readItem(_ r: JSONObjectReader, info: ModelInfo, requireReference: String?,
                         finish: Bool = true) throws -> Item {
        let messages: [ChatMessage]
        switch (r.raw("prompt"), r.raw("messages")) {
        case (let text as String, nil):
            if text.isEmpty { throw r.invalid("prompt", "must not be empty") }
            messages = [ChatMessage(role: "user", content: text)]
        case (nil, let list as [Any]):
            messages = try PromptInput.messages(list, field: r.name("messages"))
            guard messages.last?.role == "user" else { throw r.invalid("messages", "must end with a user message") }
        case (nil, nil):
            throw r.invalid("prompt", code: "missing_field", "is required (a string, or give 'messages')")
        case (.some, nil):
            throw r.invalid("prompt", "must be a string")
        case (nil, .some):
            throw r.invalid("messages", "must be an array of {role, content} messages")
        default:
            throw r.invalid("prompt", "cannot be given together with 'messages'")
        }
        let prompt = try PromptInput.render(messages, field: r.path, info: info)
        let reference = try r.optionalString("reference")
        let rejected = try r.optionalString("rejected")
        if let algorithm = requireReference, reference == nil {
            throw r.invalid("reference", code: "missing_field", "is required by \(algorithm)")
        }
        if reference?.isEmpty == true { throw r.invalid("reference", "must not be empty") }
        if rejected?.isEmpty == true { throw r.invalid("rejected", "must not be empty") }
        let metadata = try APIServer.stringMap(r, "metadata")
        if finish { try r.finish() }
        let codec = try codec(info, field: r.path)
        let item = Item(example: TrainingExample(messages: messages, reference: reference, rejected: rejected, metadata: metadata),
                        prompt: prompt, reference: reference.map(codec.answerTokens), rejected: rejected.map(codec.answerTokens))
        // Training scores prompt + answer in one sequence: it must fit the context.
        for (name, tokens) in [("reference", item.reference), ("rejected", item.rejected)] {
            if let tokens, prompt.tokens.count + tokens.count > info.config.contextLength {
                throw HTTPError(.badRequest, code: "context_length_exceeded",
                                message: "field '\(r.name(name))': \(tokens.count) tokens after the \(prompt.tokens.count) prompt "
                                    + "tokens exceed the context length \(info.config.contextLength)")
            }
        }
        return item
    }

    /// The rollout codec of the loaded model (its chat template is required).
    static func codec(_ info: ModelInfo, field: String) throws -> ChatRolloutCodec {
        guard let template = info.chatTemplate else {
            throw HTTPError(.badRequest, code: "no_chat_template",
                            message: "field '\(field)': the loaded model has no chat template grao can render")
        }
        return ChatRolloutCodec(tokenizer: info.tokenizer, template: template)
    }
}

extension APIServer {
    /// Samples a group per item on the engine (batched with other generation), prompt i with seed `seed + i`.
    func sampleGroups(_ items: [GroupRequest.Item], options: GenerationOptions,
                      info: ModelInfo) async throws -> [RolloutGroup] {
        var requests = try options.requests(for: items.map(\.prompt), contextLength: info.config.contextLength,
                                            limits: configuration.limits)
        for i in requests.indices { requests[i].seed = options.seed &+ UInt64(i) }
        let generated = try await generate(requests)
        return zip(items, generated).map { item, samples in
            RolloutGroup(example: item.example, prompt: item.prompt.tokens,
                         samples: samples.map { RolloutSample(tokens: $0.tokens, text: $0.text, finishReason: $0.finishReason) },
                         reference: item.reference, rejected: item.rejected)
        }
    }

    /// Scores every sample of every group, and each group's reference against itself (r_y), in one batch call.
    func scoreGroups(_ groups: [RolloutGroup], reward: any RewardModel) async -> [(samples: [RewardOutcome], reference: RewardOutcome?)] {
        var items: [RewardItem] = []
        for g in groups {
            let e = g.example
            items += g.samples.map { RewardItem(prompt: e.promptText, completion: $0.text, reference: e.reference, metadata: e.metadata) }
            if let y = e.reference, !g.samples.isEmpty {
                items.append(RewardItem(prompt: e.promptText, completion: y, reference: y, metadata: e.metadata))
            }
        }
        let outcomes = await reward.score(items)
        metrics.recordScoring(outcomes, reward: reward)
        var cursor = 0
        return groups.map { g in
            let samples = Array(outcomes[cursor..<cursor + g.samples.count])
            cursor += g.samples.count
            var reference: RewardOutcome?
            if g.example.reference != nil, !g.samples.isEmpty {
                reference = outcomes[cursor]
                cursor += 1
            }
            return (samples, reference)
        }
    }
}
