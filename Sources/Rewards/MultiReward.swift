/// OpenAI's `multi`: named sub-rewards combined by `weights` (a weighted sum) or a `calculate_output` formula.
/// If any sub-reward fails for an item, the item fails (naming the part); a partial sum would be a silent default.
public struct MultiReward: RewardModel {
    /// How sub-scores combine.
    enum Combination: Sendable {
        case weights([String: Double])
        case formula(Formula)
    }

    /// The spec's `name` (default: its type).
    public let name: String
    /// Sub-rewards in a fixed (sorted) order.
    let parts: [(name: String, model: any RewardModel)]
    let combination: Combination

    /// Scores a batch; one outcome per item, in order (see `RewardModel`).
    public func score(_ items: [RewardItem]) async -> [RewardOutcome] {
        // Sub-rewards run concurrently: remote judges inside a composite overlap instead of queueing.
        let columns = await withTaskGroup(of: (Int, [RewardOutcome]).self) { group in
            for (k, part) in parts.enumerated() {
                group.addTask { (k, await part.model.score(items)) }
            }
            var out = [[RewardOutcome]](repeating: [], count: parts.count)
            for await (k, outcomes) in group { out[k] = outcomes }
            return out
        }
        return items.indices.map { i in combine(row: columns.map { $0[i] }) }
    }

    private func combine(row: [RewardOutcome]) -> RewardOutcome {
        var values: [String: Double] = [:]
        var components: [String: Double] = [:]
        for (k, outcome) in row.enumerated() {
            let partName = parts[k].name
            switch outcome {
            case .failure(let f):
                return .failure(RewardFailure(.component, "\(name).\(partName): \(f)"))
            case .score(let s):
                values[partName] = s.value
                components[partName] = s.value
                for (c, v) in s.components { components["\(partName).\(c)"] = v }
            }
        }
        let total: Double?
        switch combination {
        case .weights(let w): total = w.reduce(0) { $0 + $1.value * values[$1.key]! }
        case .formula(let f): total = f.evaluate(values)
        }
        guard let total, total.isFinite else {
            return .failure(RewardFailure(.component, "\(name): calculate_output is not finite for this item"))
        }
        return .score(RewardScore(total, components: components))
    }
}
