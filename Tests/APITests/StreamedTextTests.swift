import Testing
import Tokenization
@testable import API

/// Streamed pieces of a sample's text: characters split across tokens are sent whole, possible stop-string starts
/// wait, and the pieces joined are the final text. The tiny byte-level tokenizer makes every byte its own token
/// (token id = byte), so multi-byte characters always arrive split.
@Suite struct StreamedTextTests {
    static let tokenizer = try! TinyModel.tokenizer()

    /// Feeds `text`'s bytes as tokens; returns the pieces sent.
    static func feed(_ stream: inout StreamedText, _ text: String) -> [String] {
        text.utf8.map { stream.append(Int($0)) }
    }

    @Test func splitCharactersAreSentWhole() {
        let text = "héllo 👋 wörld, 東京"
        var stream = StreamedText(tokenizer: Self.tokenizer, endOfSequence: [TinyModel.endOfTurn], stop: [])
        let pieces = Self.feed(&stream, text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") }, "\(pieces)")
        #expect(pieces.joined() == text)
        #expect(pieces.filter(\.isEmpty).count == text.utf8.count - text.unicodeScalars.count, "one piece per character")
        #expect(stream.append(TinyModel.endOfTurn) == "", "the end-of-turn token adds no text")
        #expect(stream.finish(final: text) == "")
    }

    @Test func possibleStopStringsWaitAndAreNeverSent() {
        var stream = StreamedText(tokenizer: Self.tokenizer, endOfSequence: [], stop: ["<STOP>", "\n\n"])
        var pieces = Self.feed(&stream, "ab<ST")
        #expect(pieces.joined() == "ab", "'<ST' may start '<STOP>'")
        pieces += Self.feed(&stream, "OP")
        #expect(pieces.joined() == "ab")
        // The sample ended on the stop string; its final text is cut before it.
        pieces.append(stream.finish(final: "ab"))
        #expect(pieces.joined() == "ab")

        // A token that completes a whole stop string by itself (a one-character stop here; with real tokenizers a
        // token like " France" holds the stop "Fran"): nothing from the stop string on is sent.
        var inside = StreamedText(tokenizer: Self.tokenizer, endOfSequence: [], stop: ["r"])
        #expect(Self.feed(&inside, "Fr") == ["F", ""])
        #expect(inside.finish(final: "F") == "")
        #expect(StreamedText.firstStop(in: Array("France".unicodeScalars), stops: [Array("an".unicodeScalars)]) == 2)
        #expect(StreamedText.firstStop(in: Array("Fr".unicodeScalars), stops: [Array("an".unicodeScalars)]) == nil)

        var falseAlarm = StreamedText(tokenizer: Self.tokenizer, endOfSequence: [], stop: ["<STOP>", "\n\n"])
        var sent = Self.feed(&falseAlarm, "a<S\n")
        #expect(sent.joined() == "a<S", "'<S' is released once '\\n' shows it is not '<STOP>', and '\\n' waits")
        sent += Self.feed(&falseAlarm, "x")
        #expect(sent.joined() == "a<S\nx")
        sent += Self.feed(&falseAlarm, "<ST")
        #expect(sent.joined() == "a<S\nx")
        sent.append(falseAlarm.finish(final: "a<S\nx<ST"))
        #expect(sent.joined() == "a<S\nx<ST", "at the end (length), held text is sent")
    }

    @Test func stopPrefixLengthFindsTheLongestProperPrefix() {
        func length(_ text: String, _ stops: [String]) -> Int {
            StreamedText.stopPrefixLength(Array(text.unicodeScalars), stops: stops.map { Array($0.unicodeScalars) })
        }
        #expect(length("hello", ["lo!"]) == 2)
        #expect(length("hello", ["xyz"]) == 0)
        #expect(length("aaa", ["aaab"]) == 3)
        #expect(length("ab", ["b", "abc"]) == 2, "a whole one-character stop is not a proper prefix; 'ab' of 'abc' is")
        #expect(length("", ["abc"]) == 0)
    }
}
