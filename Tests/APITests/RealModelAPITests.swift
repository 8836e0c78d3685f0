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
}

/// Where the real model sits in the package (models/ is a symlink or the fetched file).
enum RealModelFile {
    static let path: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
}
