/// Byte-level BPE (GPT-2 style, `tokenizer.ggml.model = gpt2`), built from plain arrays so that it does not depend on
/// where the vocabulary came from. Encoding: split out special tokens (when asked), pre-tokenize into words, map each
/// word's UTF-8 bytes to byte tokens, then apply merges in rank order. Decoding maps tokens back to their bytes.
///
/// Matches llama.cpp's tokenizer for the same vocabulary, including one quirk: a byte whose byte-level character is
/// not in the vocabulary (SmolLM2 lacks the control bytes 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D) is dropped from the
/// output, so such text does not round-trip.
public struct BPETokenizer: Sendable {
    /// How special ids and flags are configured, as GGUF's `tokenizer.ggml.*` keys describe them.
    public struct Configuration: Sendable {
        /// Beginning-of-sequence id (`tokenizer.ggml.bos_token_id`), if any.
        public var bosId: Int?
        /// End-of-sequence id (`tokenizer.ggml.eos_token_id`), if any.
        public var eosId: Int?
        /// Unknown-token id, if any (byte-level BPE never produces it).
        public var unknownId: Int?
        /// Padding id, if any.
        public var paddingId: Int?
        /// Prepend BOS when encoding with `addSpecialTokens` (`tokenizer.ggml.add_bos_token`).
        public var addBOS: Bool
        /// Append EOS when encoding with `addSpecialTokens` (`tokenizer.ggml.add_eos_token`).
        public var addEOS: Bool

        /// A configuration; every field defaults to "absent" / off.
        public init(bosId: Int? = nil, eosId: Int? = nil, unknownId: Int? = nil, paddingId: Int? = nil,
                    addBOS: Bool = false, addEOS: Bool = false) {
            self.bosId = bosId
            self.eosId = eosId
            self.unknownId = unknownId
            self.paddingId = paddingId
            self.addBOS = addBOS
            self.addEOS = addEOS
        }
    }

    /// Vocabulary entries as stored (byte-level text for normal tokens, literal text for special ones).
    public let tokens: [String]
    /// Type of each token.
    public let tokenTypes: [TokenType]
    /// Special ids and flags.
    public let configuration: Configuration
    /// The word splitter.
    public let preTokenizer: PreTokenizer

    /// Bytes each token decodes to (normal tokens: through the byte alphabet; special: their UTF-8 text).
    let tokenBytes: [[UInt8]]
    /// Id of each token text.
    let idOfText: [String: Int32]
    /// Token id of each byte's byte-level character, or -1 when the vocabulary lacks it.
    let byteTokens: [Int32]
    /// (left id << 32 | right id) -> (rank, merged id).
    let merges: [UInt64: Merge]
    /// Control and user-defined tokens as (UTF-8 text, id), longest first: the order llama.cpp matches them in.
    let specialTokens: [(text: [UInt8], id: Int, alwaysParsed: Bool)]

    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// Builds a tokenizer. `merges` are "left right" pairs in rank order (highest priority first), spelled in the
    /// byte-level alphabet like `tokens`; each side and their concatenation must be tokens.
    public init(
        tokens: [String], tokenTypes: [Int]? = nil, merges: [String], configuration: Configuration = .init(),
        preTokenizer: PreTokenizer = .digitsThenGPT2
    ) throws(TokenizationError) {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw TokenizationError(.invalidVocabulary, "the vocabulary has \(tokens.count) tokens")
        }
        var types: [TokenType] = []
        if let tokenTypes {
            guard tokenTypes.count == tokens.count else {
                throw TokenizationError(.invalidVocabulary,
                                        "\(tokenTypes.count) token types for \(tokens.count) tokens")
            }
            types.reserveCapacity(tokens.count)
            for (i, raw) in tokenTypes.enumerated() {
                guard let t = TokenType(rawValue: raw) else {
                    throw TokenizationError(.invalidVocabulary, "token \(i) '\(tokens[i])' has unknown type \(raw)")
                }
                types.append(t)
            }
        } else {
            types = Array(repeating: .normal, count: tokens.count)
        }

        var idOfText: [String: Int32] = [:]
        idOfText.reserveCapacity(tokens.count)
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        var specials: [(text: [UInt8], id: Int, alwaysParsed: Bool)] = []
        for (i, text) in tokens.enumerated() {
            if idOfText.updateValue(Int32(i), forKey: text) != nil {
                throw TokenizationError(.invalidVocabulary, "token '\(text)' appears twice (second at id \(i))")
            }
            switch types[i] {
            case .control, .userDefined:
                guard !text.isEmpty else {
                    throw TokenizationError(.invalidSpecialToken, "special token \(i) has empty text")
                }
                bytes.append(Array(text.utf8))
                specials.append((Array(text.utf8), i, types[i] == .userDefined))
            default:
                guard let b = ByteLevel.decode(text) else {
                    throw TokenizationError(.invalidVocabulary,
                                            "token \(i) '\(text)' has a character outside the byte-level alphabet")
                }
                bytes.append(b)
            }
        }
        // Longest first; equal lengths by id so the order is deterministic.
        specials.sort { $0.text.count != $1.text.count ? $0.text.count > $1.text.count : $0.id < $1.id }

        var byteTokens = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            byteTokens[b] = idOfText[String(ByteLevel.scalarOfByte[b])] ?? -1
        }

        var mergeTable: [UInt64: Merge] = [:]
        mergeTable.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            // Split at the first space after the first byte (as llama.cpp does; the byte-level alphabet spells a
            // space as "Ġ", so a raw space is only ever the separator).
            let utf8 = merge.utf8
            guard let space = utf8.dropFirst().firstIndex(of: 0x20) else {
                throw TokenizationError(.invalidMerge, "merge \(rank) '\(merge)' is not two tokens separated by a space")
            }
            let left = String(decoding: utf8[..<space], as: UTF8.self)
            let right = String(decoding: utf8[utf8.index(after: space)...], as: UTF8.self)
            guard let l = idOfText[left], let r = idOfText[right], let m = idOfText[left + right] else {
                throw TokenizationError(.invalidMerge, "merge \(rank) '\(merge)': '\(left)', '\(right)' or "
                                            + "'\(left + right)' is not in the vocabulary")
            }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            // A repeated pair keeps its first (highest-priority) rank, as llama.cpp does.
            if mergeTable[key] == nil { mergeTable[key] = Merge(rank: Int32(rank), result: m) }
        }

        for (name, id) in [("bos", configuration.bosId), ("eos", configuration.eosId),
                           ("unknown", configuration.unknownId), ("padding", configuration.paddingId)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw TokenizationError(.invalidSpecialToken, "\(name) id \(id) is outside the vocabulary")
            }
        }
        if configuration.addBOS && configuration.bosId == nil {
            throw TokenizationError(.invalidSpecialToken, "add_bos is set but there is no bos id")
        }
        if configuration.addEOS && configuration.eosId == nil {
            throw TokenizationError(.invalidSpecialToken, "add_eos is set but there is no eos id")
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.configuration = configuration
        self.preTokenizer = preTokenizer
        self.tokenBytes = bytes
        self.byteTokens = byteTokens
        self.idOfText = idOfText
        self.merges = mergeTable
        self.specialTokens = specials
    }

    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    /// Ids that end generation: EOS plus the conventional end-of-turn control tokens present in the vocabulary.
    public var endOfGenerationIds: Set<Int> {
        var ids = Set<Int>()
        if let eos = configuration.eosId { ids.insert(eos) }
        for (i, text) in tokens.enumerated() where tokenTypes[i] == .control {
            if ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"].contains(text) { ids.insert(i) }
        }
        return ids
    }

    /// The id of a token given its stored text, e.g. `id(of: "<|im_start|>")`.
    public func id(of text: String) -> Int? {
        idOfText[text].map(Int.init)
    }

    /// True for control tokens (`<|im_start|>` ...), which text never produces unless special parsing is asked for.
    public func isControl(_ id: Int) -> Bool {
        tokens.indices.contains(id) && tokenTypes[id] == .control
    }
}
