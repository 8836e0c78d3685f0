import Foundation

/// Numeric answer match: the last number in the completion against the expected number (the last number in the
/// reference, or a fixed `expected`), within an absolute or relative tolerance. Scores 1 or 0; a completion
/// with no number scores 0; a missing expected number is a failure (the task is broken, not the answer).
public struct NumericMatchReward: LocalRewardModel {
    /// The spec's `name` (default: its type).
    public let name: String
    let expected: Double?
    let tolerance: Double
    let relativeTolerance: Double

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        let want: Double
        if let expected {
            want = expected
        } else if let ref = item.reference, let n = Self.finalNumber(in: ref) {
            want = n
        } else {
            return .failure(RewardFailure(.missingInput, "\(name): the reference holds no number"))
        }
        guard let got = Self.finalNumber(in: item.completion) else {
            return .score(RewardScore(0, components: ["found": 0]))
        }
        let allowed = max(tolerance, relativeTolerance * abs(want))
        return .score(RewardScore(abs(got - want) <= allowed ? 1 : 0, components: ["found": 1, "value": got]))
    }

    /// Digits with optional thousands separators and decimals, optionally signed ("-1,234.5", ".5", "42").
    private static let numberPattern = try! NSRegularExpression(
        pattern: #"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+"#)

    /// The last number written in `text`, commas removed; nil when there is none.
    static func finalNumber(in text: String) -> Double? {
        let ns = text as NSString
        guard let m = numberPattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).last else {
            return nil
        }
        let literal = ns.substring(with: m.range).replacingOccurrences(of: ",", with: "")
        guard let d = Double(literal), d.isFinite else { return nil }
        return d
    }
}

extension NumericMatchReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        expected = try spec.number("expected")
        tolerance = try spec.number("tolerance", default: 1e-6, min: 0)
        relativeTolerance = try spec.number("relative_tolerance", default: 0, min: 0)
    }
}
