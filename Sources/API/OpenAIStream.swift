import Foundation
import Llama

/// The chunks of a streamed OpenAI answer (`stream: true`), built from the engine's generation events: chat
/// `chat.completion.chunk`s with a `delta` (the role first, then content pieces, then an empty delta with the
/// `finish_reason`), or legacy `text_completion` chunks with a `text` piece; choice `index` = prompt × n + sample,
/// as in the non-streamed answer. With `include_usage`, every chunk carries `"usage": null` and a last chunk with no
/// choices carries the token counts. Pure bookkeeping: the route writes the chunks it returns.
struct OpenAIStream {
    /// Fields every chunk repeats, and what the request asked for.
    struct Format: Sendable {
        var chat: Bool
        var id: String
        var created: Int
        var model: String
        var fingerprint: String
        var logprobs: Bool
        var includeUsage: Bool
        var promptTokens: Int
    }

    let format: Format
    private let info: ModelInfo
    /// Index of each request's first choice.
    private let firstChoice: [Int]
    private var texts: [[StreamedText]]
    /// Legacy log-probs' `text_offset`: characters of token text so far, per sample.
    private var offsets: [[Int]]
    private(set) var completionTokens = 0

    init(format: Format, requests: [GenerationRequest], info: ModelInfo) {
        self.format = format
        self.info = info
        var first: [Int] = [], next = 0
        for request in requests {
            first.append(next)
            next += request.sampleCount
        }
        firstChoice = first
        texts = requests.map { request in
            Array(repeating: StreamedText(tokenizer: info.tokenizer, endOfSequence: info.endOfSequence, stop: request.stop),
                  count: request.sampleCount)
        }
        offsets = requests.map { Array(repeating: 0, count: $0.sampleCount) }
    }

    /// Chunks before any token: a chat stream announces each choice's role.
    func opening() -> [[String: Any]] {
        guard format.chat else { return [] }
        return firstChoice.indices.flatMap { r in
            texts[r].indices.map { g in
                chunk([["index": firstChoice[r] + g, "delta": ["role": "assistant", "content": ""] as [String: Any],
                        "logprobs": NSNull(), "finish_reason": NSNull()]])
            }
        }
    }

    /// Chunks for one event: a token's text piece (and log-prob), or a sample's last piece and its finish reason.
    mutating func chunks(for event: GenerationEvent) -> [[String: Any]] {
        switch event {
        case .token(let r, let g, let token, let logProb):
            let text = texts[r][g].append(token)
            guard !text.isEmpty || format.logprobs else { return [] }
            let entry: Any? = format.logprobs ? logprobs(r, g, token, logProb) : nil
            return [chunk([choice(firstChoice[r] + g, text: text, logprobs: entry, finish: nil)])]
        case .finished(let r, let g, let sample):
            completionTokens += sample.tokens.count
            let rest = texts[r][g].finish(final: sample.text)
            var out: [[String: Any]] = []
            if !rest.isEmpty { out.append(chunk([choice(firstChoice[r] + g, text: rest, logprobs: nil, finish: nil)])) }
            out.append(chunk([choice(firstChoice[r] + g, text: nil, logprobs: nil,
                                     finish: APIServer.openAIFinishReason(sample.finishReason))]))
            return out
        }
    }

    /// The usage chunk that ends a stream asked to include usage (none otherwise).
    func closing() -> [[String: Any]] {
        guard format.includeUsage else { return [] }
        var last = chunk([])
        last["usage"] = ["prompt_tokens": format.promptTokens, "completion_tokens": completionTokens,
                         "total_tokens": format.promptTokens + completionTokens]
        return [last]
    }

    private func chunk(_ choices: [[String: Any]]) -> [String: Any] {
        var object: [String: Any] = ["id": format.id, "object": format.chat ? "chat.completion.chunk" : "text_completion",
                                     "created": format.created, "model": format.model,
                                     "system_fingerprint": format.fingerprint, "choices": choices]
        if format.includeUsage { object["usage"] = NSNull() }
        return object
    }

    /// One choice of a chunk: chat puts the text in `delta.content` (an empty delta with the finish reason),
    /// completions in `text`.
    private func choice(_ index: Int, text: String?, logprobs: Any?, finish: String?) -> [String: Any] {
        var object: [String: Any] = ["index": index, "logprobs": logprobs ?? NSNull(), "finish_reason": finish ?? NSNull()]
        if format.chat {
            object["delta"] = text.map { ["content": $0] } ?? [:]
        } else {
            object["text"] = text ?? ""
        }
        return object
    }

    /// A token's log-prob in the route's shape (chat `content` entries, or the legacy parallel arrays).
    private mutating func logprobs(_ r: Int, _ g: Int, _ token: Int, _ logProb: Float) -> Any {
        if format.chat { return ["content": [APIServer.tokenLogprob(token, logProb, info: info)]] }
        let text = info.tokenizer.decode([token])
        defer { offsets[r][g] += text.count }
        return ["tokens": [text], "token_logprobs": [JSONResponse.number(logProb)], "top_logprobs": NSNull(),
                "text_offset": [offsets[r][g]]] as [String: Any]
    }
}
