/// What a step's rollout gave, for the metrics line: reward statistics over the samples whose reward did not
/// fail, how many failed (masked), groups that tied, and completion lengths.
public struct RolloutStats: Sendable, Equatable, Codable {
    public var groups = 0
    public var samples = 0
    /// Samples whose reward failed: excluded from the step and from the statistics.
    public var maskedSamples = 0
    /// Groups whose reference answer's reward failed (GRAO then drops its imitation term).
    public var referenceRewardFailures = 0
    /// Groups that contribute no advantage (all members tied), or for DPO give no preference pair.
    public var zeroVarianceGroups = 0
    /// DPO pairs built (given or derived).
    public var pairs = 0
    /// Mean and population standard deviation of the unmasked sample rewards; nil when there are none.
    public var rewardMean: Double?
    public var rewardStd: Double?
    /// Mean of the reference answers' rewards that did not fail; nil when none was scored.
    public var referenceRewardMean: Double?
    /// Mean completion tokens per sample; nil without samples.
    public var meanCompletionLength: Double?
    /// Wall time of the rollout (sampling, scoring, item building), filled by the caller that timed it.
    public var seconds = 0.0

    /// Empty statistics.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case groups, samples, maskedSamples = "masked_samples", referenceRewardFailures = "reference_reward_failures"
        case zeroVarianceGroups = "zero_variance_groups", pairs, rewardMean = "reward_mean", rewardStd = "reward_std"
        case referenceRewardMean = "reference_reward_mean", meanCompletionLength = "mean_completion_length", seconds
    }

    /// Mean and population standard deviation; nil for no values.
    static func moments(_ values: [Double]) -> (mean: Double, std: Double)? {
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }
}
