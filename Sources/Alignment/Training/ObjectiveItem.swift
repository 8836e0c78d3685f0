import Llama

/// One unit of an update step: the sequences whose log-probs an objective needs (prompt + completion pairs)
/// and the objective over them. The trainer never splits an item across micro-batches, because objectives
/// couple their sequences (a GRAO group, a DPO pair).
public struct ObjectiveItem: Sendable {
    /// Sequences to score with the current policy, in the order `evaluate` expects.
    public var sequences: [ScoringPair]
    /// Per-sequence completion log-probs and the step scale (1 / items in the step) -> loss and token weights.
    public var evaluate: @Sendable (_ logProbs: [[Float]], _ scale: Double) -> ObjectiveOutput
    /// Whether `evaluate`'s token weights do not depend on the log-probs (SFT). The trainer then takes them
    /// before the forward pass, which lets full fine-tuning run the output layer's backward while each
    /// chunk's logits exist instead of recomputing them (`LlamaModel.trainingForward(targetWeights:)`).
    public var fixedTokenWeights: Bool

    public init(sequences: [ScoringPair], fixedTokenWeights: Bool = false,
                evaluate: @escaping @Sendable ([[Float]], Double) -> ObjectiveOutput) {
        self.sequences = sequences
        self.fixedTokenWeights = fixedTokenWeights
        self.evaluate = evaluate
    }

    /// A GRAO group: G samples then the reference answer y, all after `prompt`.
    public static func grao(prompt: [Int], samples: [[Int]], sampleRewards: [Double?], reference: [Int],
                            referenceReward: Double?, objective: GRAOObjective) -> ObjectiveItem {
        let sequences = (samples + [reference]).map { ScoringPair(prompt: prompt, completion: $0) }
        let g = samples.count
        return ObjectiveItem(sequences: sequences) { logProbs, scale in
            objective.evaluate(GRAOObjective.Item(sampleLogProbs: Array(logProbs[0..<g]), sampleRewards: sampleRewards,
                                                  referenceLogProbs: logProbs[g], referenceReward: referenceReward),
                               scale: scale)
        }
    }

    /// SFT on the reference answer.
    public static func sft(prompt: [Int], reference: [Int]) -> ObjectiveItem {
        ObjectiveItem(sequences: [ScoringPair(prompt: prompt, completion: reference)], fixedTokenWeights: true) {
            logProbs, scale in
            SFTObjective().evaluate(referenceLogProbs: logProbs[0], scale: scale)
        }
    }

    /// A DPO pair; the reference policy's summed log-probs of chosen and rejected are computed beforehand
    /// (`PolicyTrainer.referenceLogProbs`).
    public static func dpo(prompt: [Int], chosen: [Int], rejected: [Int], chosenReferenceLogProb: Double,
                           rejectedReferenceLogProb: Double, objective: DPOObjective) -> ObjectiveItem {
        ObjectiveItem(sequences: [ScoringPair(prompt: prompt, completion: chosen),
                                  ScoringPair(prompt: prompt, completion: rejected)]) { logProbs, scale in
            objective.evaluate(DPOObjective.Item(chosenLogProbs: logProbs[0], rejectedLogProbs: logProbs[1],
                                                 chosenReferenceLogProb: chosenReferenceLogProb,
                                                 rejectedReferenceLogProb: rejectedReferenceLogProb), scale: scale)
        }
    }

    /// A GRPO group. π_old defaults to the current policy's own log-probs (one update per rollout batch, so
    /// the ratio is 1 with its gradient intact); `referenceLogProbs` are needed when the KL coefficient is not 0.
    public static func grpo(prompt: [Int], samples: [[Int]], rewards: [Double?], oldLogProbs: [[Float]]? = nil,
                            referenceLogProbs: [[Float]]?, objective: GRPOObjective) -> ObjectiveItem {
        ObjectiveItem(sequences: samples.map { ScoringPair(prompt: prompt, completion: $0) }) { logProbs, scale in
            objective.evaluate(GRPOObjective.Item(logProbs: logProbs, oldLogProbs: oldLogProbs ?? logProbs,
                                                  referenceLogProbs: referenceLogProbs, rewards: rewards), scale: scale)
        }
    }
}
