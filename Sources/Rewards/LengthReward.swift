/// Length target: 1 inside [min, max] (characters or words), falling linearly by `penalty` per unit outside,
/// never below `floor`.
public struct LengthReward: LocalRewardModel {
    /// The spec's `name` (default: its type).
    public let name: String
    let countWords: Bool
    let minimum: Int
    let maximum: Int
    let penalty: Double
    let floor: Double

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        let n = countWords ? TextNormalization.words(item.completion, caseSensitive: true).count : item.completion.count
        let distance = n < minimum ? minimum - n : (n > maximum ? n - maximum : 0)
        let value = max(floor, 1 - penalty * Double(distance))
        return .score(RewardScore(value, components: ["length": Double(n)]))
    }
}

extension LengthReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        countWords = try spec.oneOf("unit", ["chars", "words"], default: "chars") == "words"
        minimum = try spec.int("min", default: 0, min: 0, max: 10_000_000)
        maximum = try spec.int("max", default: 10_000_000, min: 0, max: 10_000_000)
        guard minimum <= maximum else { throw spec.fail("max", "must be at least min (\(minimum)), got \(maximum)") }
        penalty = try spec.number("penalty", default: 0.01, min: 0)
        floor = try spec.number("floor", default: 0, max: 1)
    }
}
