import Llama
import Tokenization

/// One streamed sample's text, sent piece by piece while it decodes, so that the pieces joined are exactly the
/// sample's final text (what the non-streamed answer says):
/// - a token's bytes go through a `StreamingDecoder`, so a character split across tokens is sent whole;
/// - text that could be the start of a stop string is held back until it is known not to be one, and a whole stop
///   string (which may arrive inside one token) is never sent (a sample ends when its text contains a stop string,
///   and the answer is cut before it);
/// - end-of-sequence tokens add no text (the answer leaves them out);
/// - at the end, whatever of the final text was not yet sent is sent.
struct StreamedText {
    private let tokenizer: BPETokenizer
    private let endOfSequence: Set<Int>
    /// Each stop string as Unicode scalars.
    private let stops: [[Unicode.Scalar]]
    private var decoder = StreamingDecoder()
    /// Decoded but not yet sent (a possible start of a stop string).
    private var held: [Unicode.Scalar] = []
    /// Everything sent so far.
    private(set) var sent: [Unicode.Scalar] = []

    init(tokenizer: BPETokenizer, endOfSequence: Set<Int>, stop: [String]) {
        self.tokenizer = tokenizer
        self.endOfSequence = endOfSequence
        stops = stop.map { Array($0.unicodeScalars) }
    }

    /// Takes one drawn token and returns the text that can be sent now (possibly empty).
    mutating func append(_ token: Int) -> String {
        guard !endOfSequence.contains(token) else { return "" }
        held += tokenizer.decode(token, streamingInto: &decoder).unicodeScalars
        // A whole stop string in the new text (a token can hold one entirely): the sample ends here, nothing from
        // the stop string on is sent. Otherwise only a possible start of one at the end waits.
        let ready = held[..<(Self.firstStop(in: held, stops: stops) ?? held.count - Self.stopPrefixLength(held, stops: stops))]
        held.removeFirst(ready.count)
        sent += ready
        return String(String.UnicodeScalarView(ready))
    }

    /// The rest of the sample's `final` text after what was sent. What was sent is always a prefix of it (held-back
    /// text never contains a whole stop string, and the final text is cut at the first one).
    mutating func finish(final: String) -> String {
        let scalars = Array(final.unicodeScalars)
        guard scalars.count >= sent.count, scalars[..<sent.count].elementsEqual(sent) else { return "" }
        let rest = scalars[sent.count...]
        sent = scalars
        held = []
        return String(String.UnicodeScalarView(rest))
    }

    /// Where the first whole stop string in `text` starts, if any.
    static func firstStop(in text: [Unicode.Scalar], stops: [[Unicode.Scalar]]) -> Int? {
        stops.compactMap { stop -> Int? in
            guard !stop.isEmpty, stop.count <= text.count else { return nil }
            return (0...(text.count - stop.count)).first { text[$0..<$0 + stop.count].elementsEqual(stop) }
        }.min()
    }

    /// Length of the longest suffix of `text` that is a proper prefix of a stop string: the text that must wait.
    /// Only the unsent text is searched: a longer match starting in sent text would have been held back before.
    static func stopPrefixLength(_ text: [Unicode.Scalar], stops: [[Unicode.Scalar]]) -> Int {
        var longest = 0
        for stop in stops {
            var k = min(stop.count - 1, text.count)
            while k > longest {
                if text[(text.count - k)...].elementsEqual(stop[..<k]) {
                    longest = k
                    break
                }
                k -= 1
            }
        }
        return longest
    }
}
