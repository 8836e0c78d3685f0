/// OpenAI's `text_similarity` against the reference, with two metrics computed over words:
/// `token_f1` (SQuAD-style bag-of-words F1) and `rouge_l` (F1 of the longest common subsequence).
public struct TextSimilarityReward: LocalRewardModel {
    /// Which similarity to compute.
    public enum Metric: String, Sendable {
        case tokenF1 = "token_f1"
        case rougeL = "rouge_l"
    }

    /// The spec's `name` (default: its type).
    public let name: String
    let metric: Metric
    let caseSensitive: Bool
    /// Bounds ROUGE-L's O(n*m) work; longer texts are cut to this many words.
    static let maxWords = 4096

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        guard let reference = item.reference else {
            return .failure(RewardFailure(.missingInput, "\(name): \(metric.rawValue) needs a reference"))
        }
        let c = Array(TextNormalization.words(item.completion, caseSensitive: caseSensitive).prefix(Self.maxWords))
        let r = Array(TextNormalization.words(reference, caseSensitive: caseSensitive).prefix(Self.maxWords))
        switch metric {
        case .tokenF1: return .score(RewardScore(Self.tokenF1(c, r)))
        case .rougeL: return .score(RewardScore(Self.rougeL(c, r)))
        }
    }

    /// Bag-of-words F1; two empty texts agree fully (1), one empty text scores 0.
    static func tokenF1(_ candidate: [Substring], _ reference: [Substring]) -> Double {
        if candidate.isEmpty && reference.isEmpty { return 1 }
        if candidate.isEmpty || reference.isEmpty { return 0 }
        var counts: [Substring: Int] = [:]
        for w in reference { counts[w, default: 0] += 1 }
        var overlap = 0
        for w in candidate where counts[w, default: 0] > 0 {
            counts[w]! -= 1
            overlap += 1
        }
        if overlap == 0 { return 0 }
        let p = Double(overlap) / Double(candidate.count)
        let r = Double(overlap) / Double(reference.count)
        return 2 * p * r / (p + r)
    }

    /// ROUGE-L F1 = 2PR/(P+R) with P = LCS/|candidate|, R = LCS/|reference|; same empty-text rules as F1.
    static func rougeL(_ candidate: [Substring], _ reference: [Substring]) -> Double {
        if candidate.isEmpty && reference.isEmpty { return 1 }
        if candidate.isEmpty || reference.isEmpty { return 0 }
        // Two rows of the LCS table: row[j] = LCS(candidate[..<i], reference[..<j]).
        var previous = [Int](repeating: 0, count: reference.count + 1)
        var current = previous
        for i in 1...candidate.count {
            for j in 1...reference.count {
                current[j] = candidate[i - 1] == reference[j - 1] ? previous[j - 1] + 1 : max(previous[j], current[j - 1])
            }
            swap(&previous, &current)
        }
        let lcs = previous[reference.count]
        if lcs == 0 { return 0 }
        let p = Double(lcs) / Double(candidate.count)
        let r = Double(lcs) / Double(reference.count)
        return 2 * p * r / (p + r)
    }
}

extension TextSimilarityReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        metric = Metric(rawValue: try spec.oneOf("evaluation_metric", ["token_f1", "rouge_l"]))!
        caseSensitive = try spec.bool("case_sensitive", default: false)
    }
}
