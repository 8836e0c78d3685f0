/// Repetition penalty: minus the fraction of word n-grams that repeat an earlier one, so 0 for no repetition and
/// close to -1 for a loop. Texts shorter than n words score 0. Meant as a negative term inside `multi`.
public struct RepetitionPenaltyReward: LocalRewardModel {
    /// The spec's `name` (default: its type).
    public let name: String
    let n: Int

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        let words = TextNormalization.words(item.completion)
        let total = words.count - n + 1
        guard total > 0 else { return .score(RewardScore(0, components: ["repeated_fraction": 0])) }
        var seen = Set<ArraySlice<Substring>>()
        var repeated = 0
        for i in 0..<total where !seen.insert(words[i..<(i + n)]).inserted {
            repeated += 1
        }
        let fraction = Double(repeated) / Double(total)
        return .score(RewardScore(-fraction, components: ["repeated_fraction": fraction]))
    }
}

extension RepetitionPenaltyReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        n = try spec.int("n", default: 3, min: 1, max: 32)
    }
}
