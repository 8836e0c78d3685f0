/// A chosen/rejected pair for DPO, given by the user or derived from a scored group.
public struct PreferencePair: Sendable, Equatable {
    /// Where a member of the pair comes from: a sample of the group (by index) or the reference answer.
    public enum Member: Sendable, Equatable {
        case sample(Int)
        case reference
    }

    /// How to derive a pair from a scored group.
    public enum Derivation: String, Sendable, Codable, CaseIterable {
        /// Highest-reward sample against the lowest-reward sample.
        case bestVsWorst = "best_vs_worst"
        /// The reference answer against the lowest-reward sample.
        case referenceVsWorst = "reference_vs_worst"
    }

    public var chosen: Member
    public var rejected: Member

    public init(chosen: Member, rejected: Member) {
        self.chosen = chosen
        self.rejected = rejected
    }

    /// Derives a pair from sample rewards (`nil` = failed, never chosen or rejected). Returns `nil` when the
    /// group gives no preference: fewer than the members needed, or the candidates tie (reported by callers).
    /// Ties in rank break towards the lower index so derivation is deterministic.
    public static func derive(sampleRewards: [Double?], referenceReward: Double?,
                              using derivation: Derivation) -> PreferencePair? {
        let scored = sampleRewards.enumerated().compactMap { i, r in r.map { (i, $0) } }
        guard let worst = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        switch derivation {
        case .bestVsWorst:
            guard let best = scored.max(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }),
                  best.1 > worst.1 else { return nil }
            return PreferencePair(chosen: .sample(best.0), rejected: .sample(worst.0))
        case .referenceVsWorst:
            // Without a reference reward the reference is assumed preferred: it is the demonstration.
            if let ry = referenceReward, ry <= worst.1 { return nil }
            return PreferencePair(chosen: .reference, rejected: .sample(worst.0))
        }
    }
}
