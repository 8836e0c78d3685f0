import Dispatch
import Foundation
import Synchronization
import Testing
@testable import API

/// `stream: true` on the OpenAI routes over real sockets (tiny random model): the events joined give exactly the
/// non-streamed answer for the same seed (texts, finish reasons, log-probs, usage), in OpenAI's chunk shapes,
/// ending with `data: [DONE]`; refusals before the first token are still HTTP errors.
@Suite struct OpenAIStreamLiveTests {
    static let chatBody = #"""
        {"model": "m", "messages": [{"role": "user", "content": "Hi there"}], "n": 2, "max_tokens": 12, "seed": 7,
         "temperature": 0.9, "logprobs": true
        """#

    @Test func streamedChatEqualsTheWholeAnswer() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            let (whole, streamed) = try await onThread { () throws in
                (try Wire.request(port, "POST", "/v1/chat/completions", body: Self.chatBody + "}"),
                 try Wire.streamed(port, "POST", "/v1/chat/completions",
                                   body: Self.chatBody + #", "stream": true, "stream_options": {"include_usage": true}}"#))
            }
            #expect(whole.status == 200 && streamed.status == 200, "\(streamed.text)")
            #expect(streamed.header("Content-Type") == "text/event-stream")
            let answer = try StreamedAnswer(streamed)
            let choices = try #require(whole.json["choices"] as? [[String: Any]])
            #expect(answer.done, "the stream ends with data: [DONE]")
            #expect(answer.texts == [0: Self.content(choices[0]), 1: Self.content(choices[1])])
            #expect(answer.finishes == [0: choices[0]["finish_reason"] as? String ?? "", 1: choices[1]["finish_reason"] as? String ?? ""])
            #expect(answer.usage as? [String: Int] == whole.json["usage"] as? [String: Int])
            #expect(answer.chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["id"] as? String != nil })
            // Each choice starts with the role; every token is its own chunk (with its log-prob entry).
            let deltas = answer.chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            for index in 0..<2 {
                let mine = deltas.filter { $0["index"] as? Int == index }
                #expect((mine.first?["delta"] as? [String: Any])?["role"] as? String == "assistant")
                let entries = mine.flatMap { (($0["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]) ?? [] }
                let expected = (choices[index]["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] ?? []
                #expect(entries.map { $0["token"] as? String } == expected.map { $0["token"] as? String })
                #expect(entries.map { $0["logprob"] as? Double } == expected.map { $0["logprob"] as? Double })
            }
            // include_usage: every chunk has "usage" (null), the last one no choices and the counts.
            #expect(answer.chunks.allSatisfy { $0.keys.contains("usage") })
            #expect((answer.chunks.last?["choices"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func streamedCompletionsEqualTheWholeAnswer() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            let body = #"{"model": "m", "prompt": ["ab", "cd"], "n": 2, "max_tokens": 10, "seed": 3, "temperature": 1, "stop": ["e", "\n"], "logprobs": 0"#
            let (whole, streamed) = try await onThread { () throws in
                (try Wire.request(port, "POST", "/v1/completions", body: body + "}"),
                 try Wire.streamed(port, "POST", "/v1/completions", body: body + #", "stream": true}"#))
            }
            #expect(whole.status == 200 && streamed.status == 200, "\(streamed.text)")
            let answer = try StreamedAnswer(streamed)
            let choices = try #require(whole.json["choices"] as? [[String: Any]])
            #expect(answer.done && answer.usage == nil)
            #expect(answer.texts == Dictionary(uniqueKeysWithValues: choices.map { ($0["index"] as! Int, $0["text"] as! String) }))
            #expect(answer.finishes == Dictionary(uniqueKeysWithValues: choices.map { ($0["index"] as! Int, $0["finish_reason"] as! String) }))
            #expect(answer.chunks.allSatisfy { $0["object"] as? String == "text_completion" && $0["usage"] == nil })
            for choice in choices {
                let index = choice["index"] as! Int
                let mine = answer.chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }.filter { $0["index"] as? Int == index }
                let streamedTokens = mine.flatMap { (($0["logprobs"] as? [String: Any])?["tokens"] as? [String]) ?? [] }
                let streamedOffsets = mine.flatMap { (($0["logprobs"] as? [String: Any])?["text_offset"] as? [Int]) ?? [] }
                let legacy = try #require(choice["logprobs"] as? [String: Any])
                #expect(streamedTokens == legacy["tokens"] as? [String])
                #expect(streamedOffsets == legacy["text_offset"] as? [Int])
            }
        }
    }

    @Test func refusalsBeforeTheFirstTokenAreHTTPErrors() async throws {
        let api = try APIServer.tiny(engineLimits: .init(queueCapacity: 1))
        try await withLiveAPI(api) { port in
            #expect(await eventually { api.engine.status == .ready })
            let invalid = try await onThread {
                try Wire.request(port, "POST", "/v1/chat/completions",
                                 body: #"{"messages": [{"role": "user", "content": "x"}], "stream": true, "temperature": -1}"#)
            }
            #expect(invalid.status == 400 && invalid.errorMessage?.contains("temperature") == true, "\(invalid.text)")
            let badOptions = try await onThread {
                try Wire.request(port, "POST", "/v1/completions", body: #"{"prompt": "x", "stream": true, "stream_options": {"usage": true}}"#)
            }
            #expect(badOptions.status == 400 && badOptions.errorMessage?.contains("stream_options.usage") == true, "\(badOptions.text)")

            // The engine busy with one job and one waiting: a streamed request is refused with 503, not a broken stream.
            let gate = DispatchSemaphore(value: 0)
            let started = Atomic<Bool>(false)
            let blocking = Task { try await api.engine.run { _ in started.store(true, ordering: .sequentiallyConsistent); gate.wait() } }
            #expect(await eventually { started.load(ordering: .sequentiallyConsistent) })
            let queued = Task { try await onThread { try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt": "a", "max_tokens": 2}"#) } }
            #expect(await eventually { api.engine.counters.queued == 1 })
            let refused = try await onThread {
                try Wire.request(port, "POST", "/v1/completions", body: #"{"prompt": "x", "stream": true, "max_tokens": 2}"#)
            }
            #expect(refused.status == 503 && refused.errorCode == "engine_busy" && refused.header("Retry-After") == "1")
            gate.signal()
            _ = try await blocking.value
            #expect(try await queued.value.status == 200)
        }
    }

    static func content(_ choice: [String: Any]) -> String {
        (choice["message"] as? [String: Any])?["content"] as? String ?? "<none>"
    }
}
