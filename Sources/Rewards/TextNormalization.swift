/// Text handling shared by the rule-based rewards: optional case folding and whitespace collapsing, and a
/// simple word tokenizer (runs of letters or digits) for F1, ROUGE-L and repetition.
struct TextNormalization: Sendable, Equatable {
    var caseSensitive: Bool
    var collapseWhitespace: Bool

    func apply(_ s: String) -> String {
        var t = caseSensitive ? s : s.lowercased()
        if collapseWhitespace {
            t = t.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
        return t
    }

    /// Words: maximal runs of letters or digits, after case folding when not case sensitive.
    static func words(_ s: String, caseSensitive: Bool = false) -> [Substring] {
        let text = caseSensitive ? s : s.lowercased()
        return text.split(whereSeparator: { !($0.isLetter || $0.isNumber) })
    }
}
