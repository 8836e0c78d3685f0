/// Splits text into the words BPE runs on; merges never cross a word boundary. The rules follow llama.cpp's
/// implementation for each `tokenizer.ggml.pre` name (llama-vocab.cpp / unicode.cpp), since that is the reference
/// the GGUF's token ids come from.
public enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// (contractions are lower-case only; the optional prefix is a plain space U+0020 only).
    case gpt2
    /// `smollm` (and the StarCoder family): first every number character (`\p{N}`) becomes a word on its own, then
    /// the GPT-2 pattern splits the text between them. So digits are tokenized one by one and never take a space.
    case digitsThenGPT2

    /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` value; names whose rules were not checked are refused.
    public init(ggufName name: String) throws(TokenizationError) {
        switch name {
        case "gpt2": self = .gpt2
        // llama.cpp gives all of these the same two-expression sequence.
        case "smollm", "starcoder", "refact", "command-r", "codeshell": self = .digitsThenGPT2
        default:
            throw TokenizationError(.unsupportedPreTokenizer,
                                    "pre-tokenizer '\(name)' is not supported (gpt2, smollm, starcoder, refact, "
                                        + "command-r, codeshell)")
        }
    }

    /// Word boundaries of `scalars`, as consecutive index ranges covering all of it.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(CharacterClass.init)
        var words: [Range<Int>] = []
        words.reserveCapacity(scalars.count / 3 + 1)
        switch self {
        case .gpt2:
            Self.splitGPT2(scalars, classes, 0..<scalars.count, into: &words)
        case .digitsThenGPT2:
            var start = 0
            for i in 0..<scalars.count where classes[i] == .number {
                if start < i { Self.splitGPT2(scalars, classes, start..<i, into: &words) }
                words.append(i..<(i + 1))
                start = i + 1
            }
            if start < scalars.count { Self.splitGPT2(scalars, classes, start..<scalars.count, into: &words) }
        }
        return words
    }

    /// The GPT-2 pattern over one range, scanning left to right as the regex alternation would.
    private static func splitGPT2(
        _ s: [Unicode.Scalar], _ classes: [CharacterClass], _ range: Range<Int>, into words: inout [Range<Int>]
    ) {
        let end = range.upperBound
        // Class at i, or nil past the end of this range (the regex cannot see beyond it).
        func cls(_ i: Int) -> CharacterClass? { i < end ? classes[i] : nil }
        var start = range.lowerBound
        var pos = start
        func emit(_ to: Int) {
            if to > start { words.append(start..<to) }
            start = to
            pos = to
        }
        while pos < end {
            let c = s[pos]
            if c == "'" && pos + 1 < end {
                let n1 = s[pos + 1]
                if n1 == "s" || n1 == "t" || n1 == "m" || n1 == "d" { emit(pos + 2); continue }
                if pos + 2 < end {
                    let n2 = s[pos + 2]
                    if (n1 == "r" && n2 == "e") || (n1 == "v" && n2 == "e") || (n1 == "l" && n2 == "l") {
                        emit(pos + 3)
                        continue
                    }
                }
            }
            let leadingSpace = c == " "
            let head = leadingSpace ? cls(pos + 1) : cls(pos)
            if let head, head != .whitespace {
                // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+`: a run of one class, optionally after one space.
                var p = pos + (leadingSpace ? 1 : 0)
                while cls(p) == head { p += 1 }
                emit(p)
                continue
            }
            var spaces = 0
            while cls(pos + spaces) == .whitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < end {
                // `\s+(?!\S)`: leave the last space to prefix the next word.
                emit(pos + spaces - 1)
            } else if spaces > 0 {
                emit(pos + spaces)
            } else {
                emit(pos + 1)
            }
        }
    }
}

/// The character classes the GPT-2 pattern distinguishes: `\p{L}`, `\p{N}`, `\s` (Unicode White_Space), the rest.
enum CharacterClass: UInt8 {
    case letter, number, whitespace, other

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 0x80 {
            self = Self.ascii[Int(scalar.value)]
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }

    private static let ascii: [CharacterClass] = (0..<128).map { v in
        let c = UInt8(v)
        if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { return .letter }
        if c >= 0x30 && c <= 0x39 { return .number }
        if c == 0x20 || (c >= 0x09 && c <= 0x0D) { return .whitespace }
        return .other
    }
}
