import Testing
@testable import Tokenization

@Suite struct StreamingDecoderTests {
    /// Feeding any split of valid UTF-8 gives back the text, and nothing is emitted mid-character.
    @Test(arguments: ["", "plain ascii", "héllo wörld", "日本語のテキスト", "👩‍💻 and 👍🏽", "a\u{10FFFF}b"])
    func everySplitReassembles(text: String) {
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var d = StreamingDecoder()
            let first = d.append(Array(bytes[..<cut]))
            let second = d.append(Array(bytes[cut...]))
            #expect(first + second + d.finish() == text)
            #expect(!first.contains("\u{FFFD}") && !second.contains("\u{FFFD}"))
        }
        // Byte by byte.
        var d = StreamingDecoder()
        var out = ""
        for b in bytes { out += d.append([b]) }
        #expect(out == text && !d.hasPendingBytes)
    }

    @Test func holdsBackAnIncompleteCharacter() {
        var d = StreamingDecoder()
        let smile = Array("😀".utf8)  // F0 9F 98 80
        #expect(d.append([UInt8(ascii: "a")] + smile[..<2]) == "a")
        #expect(d.hasPendingBytes)
        #expect(d.append([smile[2]]) == "")
        #expect(d.append([smile[3], UInt8(ascii: "b")]) == "😀b")
        #expect(!d.hasPendingBytes)
    }

    /// Bytes that can never complete a character come out as U+FFFD at once instead of stalling the stream.
    @Test func invalidSequencesDoNotStall() {
        var d = StreamingDecoder()
        #expect(d.append([0xFF]) == "\u{FFFD}")
        #expect(d.append([0x80, 0x41]) == "\u{FFFD}A")
        #expect(d.append([0xE0, 0x80]) == "\u{FFFD}\u{FFFD}")  // overlong lead: second byte out of range
        #expect(d.append([0xED, 0xA0]) == "\u{FFFD}\u{FFFD}")  // would be a surrogate
        #expect(d.append([0xE2, 0x82]) == "")                  // a valid start of "€": held
        #expect(d.append([0x41]) == "\u{FFFD}A")               // ...and then broken off
        #expect(d.append([0xF0, 0x9F]) == "")
        #expect(d.finish() == "\u{FFFD}")
        #expect(d.finish() == "")
    }

    /// Tokens of the real vocabulary that split an emoji / CJK character stream out cleanly.
    @Test(.enabled(if: RealVocabulary.isPresent, RealVocabulary.skipMessage))
    func realTokensSplittingCharacters() {
        let t = RealVocabulary.tokenizer
        for text in ["👩‍💻 coding 🦙", "漢字とかな混じり文", "Ünïcödé ✓ — “quotes”", "🇫🇷🇯🇵"] {
            let ids = t.encode(text)
            var d = StreamingDecoder()
            var pieces: [String] = []
            for id in ids { pieces.append(t.decode(id, streamingInto: &d)) }
            pieces.append(d.finish())
            #expect(pieces.joined() == text)
            #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
            // At least one token ends inside a character for these strings (so the hold-back was exercised).
            #expect(ids.contains { !t.bytes(of: $0).isEmpty && String(validating: t.bytes(of: $0), as: UTF8.self) == nil },
                    "\(text)")
        }
    }
}
