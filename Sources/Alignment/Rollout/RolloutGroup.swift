import Llama

/// One completion in a group, sampled by the policy or given from outside (inline groups).
public struct RolloutSample: Sendable, Equatable, Codable {
    /// Completion token ids (a final end-of-sequence token included when the sample stopped on it).
    public var tokens: [Int]
    /// The completion's text, as reward models see it.
    public var text: String
    /// Why generation ended ("eos", "stop", "length"); nil for samples given from outside.
    public var finishReason: FinishReason?

    /// A sample; see the properties.
    public init(tokens: [Int], text: String, finishReason: FinishReason? = nil) {
        self.tokens = tokens
        self.text = text
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case tokens, text, finishReason = "finish_reason"
    }
}

/// One example's group before scoring: prompt tokens, the G samples (none for SFT, or DPO with a given
/// rejected answer), and the reference and rejected answers as completion tokens.
public struct RolloutGroup: Sendable, Equatable {
    public var example: TrainingExample
    /// Chat-formatted prompt tokens.
    public var prompt: [Int]
    public var samples: [RolloutSample]
    /// Tokens of `example.reference` (end-of-turn appended); nil without a reference.
    public var reference: [Int]?
    /// Tokens of `example.rejected`; nil without one.
    public var rejected: [Int]?

    /// A group; see the properties.
    public init(example: TrainingExample, prompt: [Int], samples: [RolloutSample], reference: [Int]?, rejected: [Int]?) {
        self.example = example
        self.prompt = prompt
        self.samples = samples
        self.reference = reference
        self.rejected = rejected
    }

}

/// What a reward model is asked to score: Alignment's mirror of the Rewards module's item, so that this module
/// stays independent of Rewards (DESIGN.md §4); callers map one to the other.
public struct RewardQuery: Sendable, Equatable {
    public var prompt: String
    public var completion: String
    public var reference: String?
    public var metadata: [String: String]

    /// A query; see the properties.
    public init(prompt: String, completion: String, reference: String?, metadata: [String: String] = [:]) {
        self.prompt = prompt
        self.completion = completion
        self.reference = reference
        self.metadata = metadata
    }
}

/// A group with its rewards: one per sample and one for the reference; `nil` = the reward failed, and the
/// member is masked out of the step (never read as 0).
public struct ScoredGroup: Sendable, Equatable {
    public var group: RolloutGroup
    public var sampleRewards: [Double?]
    public var referenceReward: Double?

    /// Pairs a group with its rewards; the counts must match.
    public init(group: RolloutGroup, sampleRewards: [Double?], referenceReward: Double?) throws {
        guard sampleRewards.count == group.samples.count else {
            throw AlignmentError.invalidTraining("group has \(group.samples.count) samples but \(sampleRewards.count) rewards")
        }
        for r in sampleRewards + [referenceReward] {
            if let r, !r.isFinite { throw AlignmentError.invalidTraining("reward \(r) is not finite (use null for a failure)") }
        }
        self.group = group
        self.sampleRewards = sampleRewards
        self.referenceReward = referenceReward
    }
}
