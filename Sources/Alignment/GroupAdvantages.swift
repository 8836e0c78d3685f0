/// Group-relative advantages (DESIGN.md §2): a z-score of each member's reward within its group, so that a
/// step pushes up what beat its siblings and down what lost, whatever the reward's scale.
public struct GroupAdvantages: Sendable, Equatable {
    /// How a group's rewards become advantages.
    public struct Options: Sendable, Equatable, Codable {
        /// Whether the reference answer y is a member of the normalization group (G+1 members, the default
        /// reading of the paper) or is scored against the G samples' statistics only.
        public var referenceInGroup: Bool
        /// Added to the standard deviation so that near-ties do not explode.
        public var epsilon: Double
        /// Optional clamp |A| <= clip, applied after normalization.
        public var clip: Double?

        public init(referenceInGroup: Bool = true, epsilon: Double = 1e-4, clip: Double? = nil) {
            self.referenceInGroup = referenceInGroup
            self.epsilon = epsilon
            self.clip = clip
        }
    }

    /// One advantage per sample, `nil` where the sample's reward failed (it is masked out of the step).
    public var samples: [Double?]
    /// The reference's advantage; `nil` when there is no reference or its reward failed.
    public var reference: Double?
    /// Mean and population standard deviation of the rewards the statistics were taken over.
    public var mean: Double
    public var standardDeviation: Double
    /// True when every member that counts tied: the group contributes nothing, and is reported as such.
    public var isZeroVariance: Bool

    /// Advantages for G sample rewards (`nil` = failed) and an optional reference reward.
    /// With `referenceInGroup`, y joins the statistics; otherwise y is scored against the samples' mean and std.
    public init(sampleRewards: [Double?], referenceReward: Double?, options: Options = Options()) {
        var pool = sampleRewards.compactMap { $0 }
        if options.referenceInGroup, let ry = referenceReward { pool.append(ry) }
        let mean = pool.isEmpty ? 0 : pool.reduce(0, +) / Double(pool.count)
        let variance = pool.isEmpty ? 0 : pool.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(pool.count)
        let std = variance.squareRoot()
        // Rewards that all tie give exact zeros below; a std this small is float noise around a tie.
        let zeroVariance = pool.count < 2 || std <= 1e-12 * max(1, abs(mean))

        func advantage(_ r: Double) -> Double {
            if zeroVariance { return 0 }
            var a = (r - mean) / (std + options.epsilon)
            if let c = options.clip { a = min(max(a, -c), c) }
            return a
        }
        self.samples = sampleRewards.map { $0.map(advantage) }
        self.reference = referenceReward.map(advantage)
        self.mean = mean
        self.standardDeviation = std
        self.isZeroVariance = zeroVariance
    }
}
