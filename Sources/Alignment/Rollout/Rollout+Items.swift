import Llama

/// Phase 3's result: the step's objective items and the rollout's statistics.
public struct RolloutBatch: Sendable {
    public var items: [ObjectiveItem]
    public var stats: RolloutStats
}

extension Rollout {
    /// Phase 3: objective items for the configured algorithm from scored groups, asking `trainer` for the
    /// reference policy's log-probs where DPO or GRPO's KL need them. Failed rewards (`nil`) are masked:
    /// never a chosen or rejected answer, never part of a group's statistics.
    public func items(_ scored: [ScoredGroup], trainer: PolicyTrainer) throws -> RolloutBatch {
        guard !scored.isEmpty else { throw AlignmentError.invalidTraining("a step needs at least one group") }
        var stats = RolloutStats()
        var rewards: [Double] = [], referenceRewards: [Double] = [], lengths = 0
        for s in scored {
            stats.groups += 1
            stats.samples += s.group.samples.count
            stats.maskedSamples += s.sampleRewards.filter { $0 == nil }.count
            rewards += s.sampleRewards.compactMap { $0 }
            lengths += s.group.samples.reduce(0) { $0 + $1.tokens.count }
            if scoresReference, !s.group.samples.isEmpty, s.group.example.reference != nil {
                if let r = s.referenceReward { referenceRewards.append(r) } else { stats.referenceRewardFailures += 1 }
            }
        }
        if let m = RolloutStats.moments(rewards) { (stats.rewardMean, stats.rewardStd) = (m.mean, m.std) }
        stats.referenceRewardMean = RolloutStats.moments(referenceRewards)?.mean
        stats.meanCompletionLength = stats.samples > 0 ? Double(lengths) / Double(stats.samples) : nil

        let items: [ObjectiveItem]
        switch algorithm.name {
        case .sft:
            items = try scored.map { s in
                guard let reference = s.group.reference else { throw AlignmentError.invalidTraining("sft needs a reference") }
                return .sft(prompt: s.group.prompt, reference: reference)
            }
        case .grao:
            let objective = GRAOObjective(config: algorithm.grao)
            items = try scored.map { s in
                guard let reference = s.group.reference else { throw AlignmentError.invalidTraining("grao needs a reference") }
                guard !s.group.samples.isEmpty else { throw AlignmentError.invalidTraining("grao needs samples in every group") }
                if GroupAdvantages(sampleRewards: s.sampleRewards, referenceReward: s.referenceReward,
                                   options: algorithm.grao.advantages).isZeroVariance { stats.zeroVarianceGroups += 1 }
                return .grao(prompt: s.group.prompt, samples: s.group.samples.map(\.tokens), sampleRewards: s.sampleRewards,
                             reference: reference, referenceReward: s.referenceReward, objective: objective)
            }
        case .grpo:
            items = try grpoItems(scored, trainer: trainer, stats: &stats)
        case .dpo:
            items = try dpoItems(scored, trainer: trainer, stats: &stats)
        }
        return RolloutBatch(items: items, stats: stats)
    }

    func grpoItems(_ scored: [ScoredGroup], trainer: PolicyTrainer, stats: inout RolloutStats) throws -> [ObjectiveItem] {
        let objective = GRPOObjective(config: algorithm.grpo)
        var options = algorithm.grpo.advantages
        options.referenceInGroup = false
        for s in scored {
            guard !s.group.samples.isEmpty else { throw AlignmentError.invalidTraining("grpo needs samples in every group") }
            if GroupAdvantages(sampleRewards: s.sampleRewards, referenceReward: nil, options: options).isZeroVariance {
                stats.zeroVarianceGroups += 1
            }
        }
        // One no-grad pass over every sample of the step for the KL term's reference log-probs.
        var references: [[Float]]?
        if algorithm.grpo.klCoefficient != 0 {
            references = try trainer.referenceLogProbs(scored.flatMap { s in
                s.group.samples.map { ScoringPair(prompt: s.group.prompt, completion: $0.tokens) }
            })
        }
        var offset = 0
        return scored.map { s in
            let g = s.group.samples.count
            let refs = references.map { Array($0[offset..<offset + g]) }
            offset += g
            return .grpo(prompt: s.group.prompt, samples: s.group.samples.map(\.tokens), rewards: s.sampleRewards,
                         referenceLogProbs: refs, objective: objective)
        }
    }

    /// Pairs: the given rejected answer against the reference, or one derived from the scored group. A group
    /// without a preference (ties, every reward failed) is counted in `zeroVarianceGroups`; a step with no pair
    /// at all gets one zero item so that it stays defined (loss and gradient 0), as a tied GRAO step does.
    func dpoItems(_ scored: [ScoredGroup], trainer: PolicyTrainer, stats: inout RolloutStats) throws -> [ObjectiveItem] {
        var pairs: [(prompt: [Int], chosen: [Int], rejected: [Int])] = []
        for s in scored {
            let group = s.group
            if let rejected = group.rejected, let reference = group.reference {
                pairs.append((group.prompt, reference, rejected))
                continue
            }
            guard let pair = PreferencePair.derive(sampleRewards: s.sampleRewards, referenceReward: s.referenceReward,
                                                   using: algorithm.pairDerivation) else {
                stats.zeroVarianceGroups += 1
                continue
            }
            func tokens(_ member: PreferencePair.Member) -> [Int]? {
                switch member {
                case .sample(let i): return group.samples[i].tokens
                case .reference: return group.reference
                }
            }
            guard let chosen = tokens(pair.chosen), let rejected = tokens(pair.rejected) else {
                stats.zeroVarianceGroups += 1
                continue
            }
            pairs.append((group.prompt, chosen, rejected))
        }
        stats.pairs = pairs.count
        guard !pairs.isEmpty else {
            let first = scored[0].group
            guard let completion = first.reference ?? first.samples.first?.tokens ?? first.rejected else {
                throw AlignmentError.invalidTraining("dpo: no pair and nothing to score")
            }
            return [ObjectiveItem(sequences: [ScoringPair(prompt: first.prompt, completion: completion)]) { lp, _ in
                ObjectiveOutput(loss: 0, tokenWeights: lp.map { [Float](repeating: 0, count: $0.count) })
            }]
        }
        let refs = try trainer.referenceLogProbs(pairs.flatMap {
            [ScoringPair(prompt: $0.prompt, completion: $0.chosen), ScoringPair(prompt: $0.prompt, completion: $0.rejected)]
        })
        let objective = DPOObjective(config: algorithm.dpo)
        return pairs.enumerated().map { i, p in
            .dpo(prompt: p.prompt, chosen: p.chosen, rejected: p.rejected,
                 chosenReferenceLogProb: SequenceLikelihood.sum(refs[2 * i]),
                 rejectedReferenceLogProb: SequenceLikelihood.sum(refs[2 * i + 1]), objective: objective)
        }
    }
}
