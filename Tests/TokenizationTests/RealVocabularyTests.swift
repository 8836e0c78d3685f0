import Testing
@testable import Tokenization

@Suite(.enabled(if: RealVocabulary.isPresent, RealVocabulary.skipMessage))
struct RealVocabularyTests {
    @Test func specialIds() {
        let t = RealVocabulary.tokenizer
        #expect(t.vocabularySize == 49152)
        #expect(t.id(of: "<|im_start|>") == 1 && t.id(of: "<|im_end|>") == 2 && t.id(of: "<|endoftext|>") == 0)
        #expect(t.configuration.bosId == 1 && t.configuration.eosId == 2 && !t.configuration.addBOS)
        #expect(t.endOfGenerationIds == [0, 2])
        #expect(t.encode("<|im_start|>user\n", parseSpecial: true).first == 1)
        #expect(!t.encode("<|im_start|>user\n").contains(1))
    }

    /// decode(encode(s)) == s on valid UTF-8, special parsing on or off.
    @Test(arguments: ["", " ", "Hello, world!", "  leading and trailing  ", "tabs\tand\nnewlines\r\n\n",
                      "numbers 1234567890 3.14159 -42 1e10", "I'm sure they'll've", "naïve café Ωmega",
                      "中文字符和日本語テキスト", "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽", "func f() { return x[i] != nil }",
                      "<|im_start|>user\nHi<|im_end|>\n", String(repeating: "long words ", count: 300)])
    func roundTrip(text: String) {
        let t = RealVocabulary.tokenizer
        for parseSpecial in [false, true] {
            let ids = t.encode(text, parseSpecial: parseSpecial)
            #expect(t.decode(ids) == text)
            #expect(ids.allSatisfy { (0..<49152).contains($0) })
        }
    }
}
