import Foundation

/// JSON validity: 0 when the completion is not JSON; otherwise the fraction of `required_keys` present at the
/// top level of an object (1 when none are required). A ```json fence around the text is accepted.
public struct JSONValidityReward: LocalRewardModel {
    /// The spec's `name` (default: its type).
    public let name: String
    let requiredKeys: [String]

    /// Scores one item (see `LocalRewardModel`).
    public func scoreOne(_ item: RewardItem) -> RewardOutcome {
        guard let value = try? JSONValue.parse(Self.unfenced(item.completion)) else {
            return .score(RewardScore(0, components: ["valid": 0]))
        }
        guard !requiredKeys.isEmpty else { return .score(RewardScore(1, components: ["valid": 1])) }
        guard case .object(let o) = value else {
            return .score(RewardScore(0, components: ["valid": 1, "keys": 0]))
        }
        let present = Double(requiredKeys.filter { o[$0] != nil }.count) / Double(requiredKeys.count)
        return .score(RewardScore(present, components: ["valid": 1, "keys": present]))
    }

    /// Strips one surrounding Markdown code fence (``` or ```json), as chat models often add one.
    static func unfenced(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("```"), t.hasSuffix("```"), t.count >= 6 else { return t }
        var body = t.dropFirst(3).dropLast(3)
        if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
        return String(body)
    }
}

extension JSONValidityReward {
    init(spec: inout SpecObject, name: String) throws {
        self.name = name
        requiredKeys = try spec.stringList("required_keys") ?? []
    }
}
