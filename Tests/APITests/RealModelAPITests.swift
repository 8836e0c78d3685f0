import Foundation
import GGUF
import Llama
import Logging
import Testing
import Tokenization
@testable import API

/// The API on the real SmolLM2-135M-Instruct (always in CI, which fetches it): the routes answer with what the
/// model itself generates for the same tokens, and chat formatting reaches the model intact.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: RealModelFile.path),
                             "needs models/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-model.sh)"))
struct RealModelAPITests {
    static let path = RealModelFile.path

    static func api() throws -> APIServer {
        let engine = ComputeEngine {
            let file = try GGUFFile(path: path)
            let model = try LlamaModel(gguf: file)
            let info = ModelInfo(config: model.config, tokenizer: try BPETokenizer(gguf: file), chatTemplate: try ChatTemplate(gguf: file),
                                 name: "SmolLM2-135M-Instruct.Q4_1", path: path)
            return EngineContext(info: info, model: model)
        }
        return APIServer(configuration: .init(dataDirectory: NSTemporaryDirectory()), engine: engine,
                         logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func generateChatAndCompletionsOnTheRealModel() async throws {
        let api = try Self.api()
        try await withLiveAPI(api) { port in
            #expect(await eventually(seconds: 120) { api.engine.status == .ready })
            let (generated, chat, completion) = try await onThread { () throws in
                (try Wire.request(port, "POST", "/v1/generate", body: #"""
                    {"prompts": ["What is the capital of France?", "Name a primary color."], "chat": true, "group_size": 2,
                     "max_tokens": 12, "temperature": 0, "logprobs": true}
                    """#),
                 try Wire.request(port, "POST", "/v1/chat/completions", body: #"""
                    {"model": "smol", "messages": [{"role": "user", "content": "What is the capital of France?"}],
                     "max_tokens": 12, "temperature": 0, "logprobs": true}
                    """#),
                 try Wire.request(port, "POST", "/v1/completions", body: #"""
                    {"model": "smol", "prompt": "The capital of France is", "max_tokens": 4, "temperature": 0, "n": 2}
                    """#))
            }
            #expect(generated.status == 200, "\(generated.text)")
            let groups = try #require(generated.json["groups"] as? [[String: Any]])
            let paris = try #require((groups[0]["samples"] as? [[String: Any]])?.first)
            #expect((paris["text"] as? String)?.contains("Paris") == true, "\(paris)")

            // The same tokens the model generates directly for the same chat prompt.
            let direct = try await api.engine.run { context in
                let template = try #require(context.info.chatTemplate)
                let prompt = context.info.tokenizer.encode(template.render([ChatMessage(role: "user", content: "What is the capital of France?")],
                                                                           addGenerationPrompt: true), parseSpecial: true)
                return try context.policy.generate([GenerationRequest(prompt: prompt, sampleCount: 1, maxTokens: 12, sampling: .greedy)],
                                                   endOfSequence: context.info.endOfSequence, decoder: context.info.tokenizer)[0][0]
            }
            #expect(paris["tokens"] as? [Int] == direct.tokens)
            let logprobs = try #require(paris["logprobs"] as? [Double])
            // The API decoded 4 rows per step, the direct call 1: the products take different kernels (small-batch
            // SIMD vs gemv), which round differently in the last bits (seen: 4e-6). 1e-4 is far below any change
            // that matters and far above that rounding.
            for (a, b) in zip(logprobs, direct.logProbs) { #expect(abs(a - Double(b)) < 1e-4) }

            #expect(chat.status == 200, "\(chat.text)")
            let message = ((chat.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(message == direct.text)
            #expect(completion.status == 200, "\(completion.text)")
            let texts = (completion.json["choices"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
            #expect(texts.count == 2 && texts[0] == texts[1] && texts[0].contains("Paris"), "\(texts)")
        }
    }

    /// Streamed answers on the real model equal the whole ones: greedy chat, a seeded group of two, and a stop
    /// string taken from the middle of the greedy text (the stream holds back what could start it).
    @Test func streamedAnswersEqualTheWholeOnes() async throws {
        let api = try Self.api()
        try await withLiveAPI(api) { port in
            #expect(await eventually(seconds: 120) { api.engine.status == .ready })
            let chat = #"{"messages": [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}], "max_tokens": 24"#
            for options in [#", "temperature": 0"#, #", "temperature": 0.8, "n": 2, "seed": 11"#] {
                let (whole, streamed) = try await onThread { () throws in
                    (try Wire.request(port, "POST", "/v1/chat/completions", body: chat + options + "}"),
                     try Wire.streamed(port, "POST", "/v1/chat/completions", body: chat + options + #", "stream": true}"#))
                }
                let choices = try #require(whole.json["choices"] as? [[String: Any]])
                let answer = try StreamedAnswer(streamed)
                #expect(answer.done)
                #expect(answer.texts == Dictionary(uniqueKeysWithValues: choices.map { ($0["index"] as! Int, OpenAIStreamLiveTests.content($0)) }))
                #expect(answer.chunks.count > 2 * choices.count + 2, "a chunk per token")
                print("streamed chat \(options): \(answer.texts)")
            }
            let greedy = try await onThread { try Wire.request(port, "POST", "/v1/chat/completions", body: chat + #", "temperature": 0}"#) }
            let text = OpenAIStreamLiveTests.content(try #require((greedy.json["choices"] as? [[String: Any]])?.first))
            let middle = text.index(text.startIndex, offsetBy: text.count / 2)
            let stop = String(text[middle...].prefix(4))
            let stopJSON = String(decoding: try JSONSerialization.data(withJSONObject: [stop]), as: UTF8.self)
            let (whole, streamed) = try await onThread { () throws in
                (try Wire.request(port, "POST", "/v1/chat/completions", body: chat + #", "temperature": 0, "stop": \#(stopJSON)}"#),
                 try Wire.streamed(port, "POST", "/v1/chat/completions", body: chat + #", "temperature": 0, "stream": true, "stop": \#(stopJSON)}"#))
            }
            let cut = try #require((whole.json["choices"] as? [[String: Any]])?.first)
            let answer = try StreamedAnswer(streamed)
            #expect(answer.texts == [0: OpenAIStreamLiveTests.content(cut)] && answer.finishes == [0: "stop"], "\(answer.texts) stop \(stop)")
        }
    }

    /// A client that leaves in the middle of a stream has its sample dropped from the decode at the next step
    /// (the engine counts it as dropped while decoding), and the engine is free again for the next request.
    @Test func aClientLeavingMidStreamCancelsItsDecoding() async throws {
        let api = try Self.api()
        try await withLiveAPI(api) { port in
            #expect(await eventually(seconds: 120) { api.engine.status == .ready })
            let before = api.engine.counters.dropped
            let (stillDecoding, received) = try await onThread { () throws -> (Bool, String) in
                let socket = try Wire.connect(port)
                defer { socket.close() }
                try Wire.send(socket, method: "POST", path: "/v1/completions",
                              body: #"{"prompt": "1, 2, 3, 4, 5,", "max_tokens": 400, "temperature": 0, "stream": true}"#)
                let bytes = try Wire.read(socket, untilCount: 3, of: "data: ")
                // 3 tokens of 400 are out; the decode (tens of milliseconds a token) is still going.
                return (api.engine.counters.running, String(decoding: bytes, as: UTF8.self))
            }
            #expect(received.contains("text_completion"), "\(received)")
            #expect(stillDecoding)
            #expect(await eventually(seconds: 60) { api.engine.counters.dropped == before + 1 && !api.engine.counters.running })
            let next = try await onThread { try Wire.request(port, "POST", "/v1/completions", body: #"{"prompt": "Hi", "max_tokens": 2}"#) }
            #expect(next.status == 200)
        }
    }
}

/// Where the real model sits in the package (models/ is a symlink or the fetched file).
enum RealModelFile {
    static let path: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
}
