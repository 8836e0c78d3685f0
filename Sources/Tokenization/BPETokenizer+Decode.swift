extension BPETokenizer {
    /// The bytes `ids` stand for. Control tokens give their text (`<|im_end|>`) unless `skipControl`; ids outside
    /// the vocabulary are skipped (a sampler never produces them; callers that must refuse them check the range).
    public func decodeBytes(_ ids: some Sequence<Int>, skipControl: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where tokens.indices.contains(id) {
            if skipControl && tokenTypes[id] == .control { continue }
            out.append(contentsOf: tokenBytes[id])
        }
        return out
    }

    /// The text of `ids`. Invalid UTF-8 (possible when a sequence ends inside a multi-byte character) becomes
    /// U+FFFD; use `StreamingDecoder` to print tokens as they come.
    public func decode(_ ids: some Sequence<Int>, skipControl: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipControl: skipControl), as: UTF8.self)
    }

    /// The raw bytes of one token (may be part of a UTF-8 character).
    public func bytes(of id: Int) -> [UInt8] {
        tokens.indices.contains(id) ? tokenBytes[id] : []
    }
}
