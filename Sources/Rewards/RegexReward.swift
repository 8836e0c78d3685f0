import Foundation

/// Regex match: 1 when the pattern is found in the completion (or matches all of it with `full_match`), else 0.
public struct RegexReward: LocalRewardModel {
    /// The spec's `name` (default: its type).
    public let name: String
    /// NSRegularExpression is immutable and documented thread-safe once built.
    let regex: NSRegularExpression
    let fullMatch: Bool

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        let ns = item.completion as NSString
        let whole = NSRange(location: 0, length: ns.length)
        let hit: Bool
        if fullMatch {
            hit = regex.firstMatch(in: item.completion, options: [.anchored], range: whole).map { $0.range == whole } ?? false
        } else {
            hit = regex.firstMatch(in: item.completion, range: whole) != nil
        }
        return .score(RewardScore(hit ? 1 : 0))
    }
}

extension RegexReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        let pattern = try spec.requiredString("pattern")
        var options: NSRegularExpression.Options = []
        if !(try spec.bool("case_sensitive", default: true)) { options.insert(.caseInsensitive) }
        if try spec.bool("dot_matches_newline", default: false) { options.insert(.dotMatchesLineSeparators) }
        do {
            regex = try NSRegularExpression(pattern: pattern, options: options)
        } catch {
            throw spec.fail("pattern", "not a valid regular expression: \(pattern)")
        }
        fullMatch = try spec.bool("full_match", default: false)
    }
}
