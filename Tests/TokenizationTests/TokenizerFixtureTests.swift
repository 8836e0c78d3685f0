import Foundation
import Testing
@testable import Tokenization

/// Token ids from llama.cpp's tokenizer (llama-cpp-python) for the real vocabulary, cross-checked by the generator
/// against Hugging Face `tokenizers`. Made by `tools/fixtures/make_fixtures.py tokenizer chat`.
struct TokenizerCase: Decodable {
    let name: String
    let text: String
    let parse_special: Bool
    let ids: [Int]
}

struct ChatCase: Decodable {
    struct Message: Decodable {
        let role: String
        let content: String
    }
    let messages: [Message]
    let add_generation_prompt: Bool
    let text: String
    let ids: [Int]
}

enum Fixtures {
    static func load<T: Decodable>(_ name: String) -> [T] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json") else {
            Issue.record("fixture \(name).json is missing")
            return []
        }
        do {
            return try JSONDecoder().decode([T].self, from: Data(contentsOf: url))
        } catch {
            Issue.record("fixture \(name).json does not decode: \(error)")
            return []
        }
    }

    static let tokenizerCases: [TokenizerCase] = load("tokenizer_cases")
    static let chatCases: [ChatCase] = load("chat_cases")
}

@Suite(.enabled(if: RealVocabulary.isPresent, RealVocabulary.skipMessage))
struct TokenizerFixtureTests {
    @Test func enoughCases() {
        #expect(Fixtures.tokenizerCases.count >= 40)
        #expect(Fixtures.tokenizerCases.contains { $0.text.isEmpty })
        #expect(!Fixtures.chatCases.isEmpty)
    }

    @Test(arguments: Fixtures.tokenizerCases.indices)
    func idsMatchLlamaCpp(index: Int) {
        let c = Fixtures.tokenizerCases[index]
        let t = RealVocabulary.tokenizer
        let ids = t.encode(c.text, parseSpecial: c.parse_special)
        #expect(ids == c.ids, "\(c.name): \(c.text.debugDescription)")
        #expect(t.decode(ids) == c.text, "\(c.name)")
    }

    @Test(arguments: Fixtures.chatCases.indices)
    func chatPromptsMatch(index: Int) {
        let c = Fixtures.chatCases[index]
        let messages = c.messages.map { ChatMessage(role: $0.role, content: $0.content) }
        let text = RealVocabulary.chatTemplate.render(messages, addGenerationPrompt: c.add_generation_prompt)
        #expect(text == c.text)
        let ids = RealVocabulary.tokenizer.encode(text, parseSpecial: true)
        #expect(ids == c.ids)
        #expect(RealVocabulary.tokenizer.decode(ids) == text)
    }
}
