import Testing
@testable import Tokenization

/// A tiny byte-level vocabulary: the 256 byte characters, then merged tokens, then special tokens.
func tinyTokenizer(merges: [String], extra: [String] = [], special: [(String, TokenType)] = [],
                   configuration: BPETokenizer.Configuration = .init(),
                   preTokenizer: PreTokenizer = .digitsThenGPT2) throws -> BPETokenizer {
    let bytes = (0..<256).map { String(ByteLevel.scalarOfByte[$0]) }
    let tokens = bytes + extra + special.map(\.0)
    let types = Array(repeating: TokenType.normal.rawValue, count: bytes.count + extra.count) + special.map(\.1.rawValue)
    return try BPETokenizer(tokens: tokens, tokenTypes: types, merges: merges, configuration: configuration,
                            preTokenizer: preTokenizer)
}

@Suite struct BPETokenizerTests {
    /// The byte alphabet: printable Latin-1 maps to itself, the rest to 256... in byte order.
    @Test func byteAlphabet() {
        #expect(ByteLevel.scalarOfByte[0x20] == "Ġ" && ByteLevel.scalarOfByte[0x0A] == "Ċ")
        #expect(ByteLevel.scalarOfByte[0x41] == "A" && ByteLevel.scalarOfByte[0xAD] == "\u{143}")
        #expect(ByteLevel.scalarOfByte[0] == "\u{100}")
        #expect(Set(ByteLevel.scalarOfByte).count == 256)
        #expect(ByteLevel.decode(ByteLevel.encode([0, 10, 32, 200, 255])) == [0, 10, 32, 200, 255])
        #expect(ByteLevel.decode("\u{200}") == nil)
    }

    /// Merges apply lowest rank first, leftmost first among equal ranks, and only within a word.
    @Test func mergeOrder() throws {
        let t = try tinyTokenizer(merges: ["a a", "b c", "aa b", "Ġ a"], extra: ["aa", "bc", "aab", "Ġa"])
        let aa = t.id(of: "aa")!, aab = t.id(of: "aab")!, bc = t.id(of: "bc")!, a = Int(UInt8(ascii: "a"))
        // "aaa": the leftmost "a a" wins the tie -> [aa, a].
        #expect(t.encode("aaa") == [aa, a])
        #expect(t.encode("aaaa") == [aa, aa])
        // "aabc": "a a" (rank 0) before "b c" (rank 1); then "aa b" cannot apply because b is inside "bc".
        #expect(t.encode("aabc") == [aa, bc])
        #expect(t.encode("aab") == [aab])
        // The space joins the next word: " a" -> Ġa; merges never cross the word boundary in "a a".
        #expect(t.encode("a a") == [a, t.id(of: "Ġa")!])
        #expect(t.decode(t.encode("aabc a aaa")) == "aabc a aaa")
    }

    /// A long word of one repeated pair: merging must stay fast and right (ranked heap, not rescans).
    @Test func longWordMerges() throws {
        let t = try tinyTokenizer(merges: ["a b", "ab ab", "abab abab"], extra: ["ab", "abab", "abababab"])
        let ids = t.encode(String(repeating: "ab", count: 10_000))
        #expect(ids == Array(repeating: t.id(of: "abababab")!, count: 2500))
    }

    @Test func specialTokensOnlyWhenAsked() throws {
        let t = try tinyTokenizer(merges: [], special: [("<|im_start|>", .control), ("<|im_end|>", .control),
                                                         ("<|im_start|>x", .control), ("[U]", .userDefined)])
        let start = t.id(of: "<|im_start|>")!, end = t.id(of: "<|im_end|>")!, longer = t.id(of: "<|im_start|>x")!
        let user = t.id(of: "[U]")!
        #expect(t.encode("<|im_start|>hi<|im_end|>", parseSpecial: true)
                    == [start, Int(UInt8(ascii: "h")), Int(UInt8(ascii: "i")), end])
        let plain = t.encode("<|im_end|>", parseSpecial: false)
        #expect(plain.count == "<|im_end|>".utf8.count && !plain.contains(end))
        #expect(t.decode(plain) == "<|im_end|>")
        // Longest special token first.
        #expect(t.encode("<|im_start|>x", parseSpecial: true) == [longer])
        // User-defined tokens are matched even without special parsing.
        #expect(t.encode("a[U]", parseSpecial: false) == [Int(UInt8(ascii: "a")), user])
        #expect(t.decode([start, end]) == "<|im_start|><|im_end|>")
        #expect(t.decode([start, Int(UInt8(ascii: "h")), end], skipControl: true) == "h")
        #expect(t.isControl(start) && !t.isControl(user))
    }

    @Test func bosAndEos() throws {
        let t = try tinyTokenizer(merges: [], special: [("<s>", .control), ("</s>", .control)],
                                  configuration: .init(bosId: 256, eosId: 257, addBOS: true, addEOS: true))
        #expect(t.encode("a") == [256, 97, 257])
        #expect(t.encode("a", addSpecialTokens: false) == [97])
        #expect(t.encode("") == [256, 257])
        #expect(t.endOfGenerationIds == [257])
    }

    /// A byte the vocabulary cannot spell is dropped (llama.cpp's behaviour), the rest still encodes.
    @Test func missingByteTokensAreDropped() throws {
        var tokens = (0..<256).map { String(ByteLevel.scalarOfByte[$0]) }
        tokens[4] = "<gap>"
        let u = try BPETokenizer(tokens: tokens, tokenTypes: (0..<256).map { $0 == 4 ? 3 : 1 }, merges: [])
        #expect(u.encode("a\u{04}b") == [97, 98])
    }

    @Test func invalidVocabulariesAreRefused() {
        let bytes = (0..<256).map { String(ByteLevel.scalarOfByte[$0]) }
        func kind(_ body: () throws -> BPETokenizer) -> TokenizationError.Kind? {
            do { _ = try body(); return nil } catch { return (error as? TokenizationError)?.kind }
        }
        #expect(kind { try BPETokenizer(tokens: [], merges: []) } == .invalidVocabulary)
        #expect(kind { try BPETokenizer(tokens: bytes + ["a"], merges: []) } == .invalidVocabulary)  // duplicate
        #expect(kind { try BPETokenizer(tokens: bytes + ["\u{500}"], merges: []) } == .invalidVocabulary)
        #expect(kind { try BPETokenizer(tokens: bytes, tokenTypes: [1], merges: []) } == .invalidVocabulary)
        #expect(kind { try BPETokenizer(tokens: bytes, tokenTypes: .init(repeating: 9, count: 256), merges: []) }
                    == .invalidVocabulary)
        #expect(kind { try BPETokenizer(tokens: bytes, merges: ["a b"]) } == .invalidMerge)  // "ab" missing
        #expect(kind { try BPETokenizer(tokens: bytes, merges: ["ab"]) } == .invalidMerge)
        #expect(kind { try BPETokenizer(tokens: bytes, merges: [""]) } == .invalidMerge)
        #expect(kind { try BPETokenizer(tokens: bytes, merges: [], configuration: .init(eosId: 256)) }
                    == .invalidSpecialToken)
        #expect(kind { try BPETokenizer(tokens: bytes, merges: [], configuration: .init(addBOS: true)) }
                    == .invalidSpecialToken)
    }
}
