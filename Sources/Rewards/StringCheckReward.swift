/// OpenAI's `string_check`: compares the completion with the reference (or a fixed string). Exact match is
/// `eq`; contains is `like` (`ilike` ignores case). Scores 1 or 0.
public struct StringCheckReward: LocalRewardModel {
    /// How the completion is compared with the target.
    public enum Operation: String, Sendable {
        case eq, ne, like, ilike
    }

    /// The spec's `name` (default: its type).
    public let name: String
    let operation: Operation
    /// A fixed target; nil means the item's reference.
    let target: String?
    let normalization: TextNormalization

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        guard let raw = target ?? item.reference else {
            return .failure(RewardFailure(.missingInput, "\(name): no reference to compare with"))
        }
        let completion = normalization.apply(item.completion)
        let reference = normalization.apply(raw)
        let hit: Bool
        switch operation {
        case .eq: hit = completion == reference
        case .ne: hit = completion != reference
        case .like: hit = completion.contains(reference)
        case .ilike: hit = completion.lowercased().contains(reference.lowercased())
        }
        return .score(RewardScore(hit ? 1 : 0))
    }
}

extension StringCheckReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        operation = Operation(rawValue: try spec.oneOf("operation", ["eq", "ne", "like", "ilike"]))!
        target = try spec.string("reference")
        normalization = TextNormalization(caseSensitive: try spec.bool("case_sensitive", default: true),
                                          collapseWhitespace: try spec.bool("normalize_whitespace", default: true))
    }
}
