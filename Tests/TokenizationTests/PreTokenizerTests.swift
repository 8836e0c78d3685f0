import Testing
@testable import Tokenization

/// The words of `text` under `pre`.
func words(_ text: String, _ pre: PreTokenizer = .digitsThenGPT2) -> [String] {
    let scalars = Array(text.unicodeScalars)
    return pre.split(scalars).map { range in
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[range])
        return String(s)
    }
}

@Suite struct PreTokenizerTests {
    @Test func gpt2Pattern() {
        #expect(words("Hello world", .gpt2) == ["Hello", " world"])
        #expect(words("Hello  world", .gpt2) == ["Hello", " ", " world"])
        #expect(words("a   ", .gpt2) == ["a", "   "])
        #expect(words("I'm don't we'll they're I've he'd it's", .gpt2)
                    == ["I", "'m", " don", "'t", " we", "'ll", " they", "'re", " I", "'ve", " he", "'d", " it", "'s"])
        // Contractions are lower-case only in this pattern.
        #expect(words("I'M", .gpt2) == ["I", "'", "M"])
        #expect(words("x 123 45", .gpt2) == ["x", " 123", " 45"])
        #expect(words("hi!!! ?? ok", .gpt2) == ["hi", "!!!", " ??", " ok"])
        #expect(words("\n\n  foo\tbar", .gpt2) == ["\n\n ", " foo", "\t", "bar"])
        #expect(words(" ", .gpt2) == [" "])
        #expect(words("", .gpt2) == [])
        // Only U+0020 is taken as a prefix; a no-break space stays with the whitespace run.
        #expect(words("a\u{00A0}b", .gpt2) == ["a", "\u{00A0}", "b"])
        #expect(words("héllo wörld", .gpt2) == ["héllo", " wörld"])
        #expect(words("日本語 テキスト", .gpt2) == ["日本語", " テキスト"])
        #expect(words("a 👍🏽!", .gpt2) == ["a", " 👍🏽!"])
    }

    /// smollm: every number character is a word of its own, and never takes the preceding space.
    @Test func smollmSplitsDigitsIndividually() {
        #expect(words("x 123") == ["x", " ", "1", "2", "3"])
        #expect(words("3.14") == ["3", ".", "1", "4"])
        #expect(words("abc123def") == ["abc", "1", "2", "3", "def"])
        #expect(words("½ and ²") == ["½", " and", " ", "²"])
        #expect(words("Hello world") == ["Hello", " world"])
        #expect(words("a  1") == ["a", "  ", "1"])
    }

    @Test func ggufNames() throws {
        #expect(try PreTokenizer(ggufName: "smollm") == .digitsThenGPT2)
        #expect(try PreTokenizer(ggufName: "gpt2") == .gpt2)
        #expect(throws: TokenizationError.self) { try PreTokenizer(ggufName: "llama3") }
    }
}
