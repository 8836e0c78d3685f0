import Foundation

/// Aggregates finished cells into `summary.json`: per method, the final held-out metrics (overall and per task),
/// GRAO's loss-term shares and the compute spent, each as mean, sample standard deviation, min and max over seeds.
enum ExperimentSummary {
    static let metrics = ["success_rate", "mean_reward", "win_rate", "win_or_tie_rate", "nag", "nag_net", "mean_completion_tokens"]
    static let totals = ["seconds", "generated_tokens", "fed_train_tokens", "rollout_seconds", "update_seconds", "eval_seconds"]

    static func make(config: ExperimentConfig, baseline: [String: Any], cells: [[String: Any]]) -> [String: Any] {
        var methods: [String: Any] = [:]
        for method in config.methods {
            let mine = cells.filter { $0["method"] as? String == method.name }
            guard !mine.isEmpty else { continue }
            let finals = mine.compactMap { $0["final"] as? [String: Any] }
            var overall: [String: Any] = [:]
            for key in metrics { overall[key] = stats(finals.map { number(($0["overall"] as? [String: Any])?[key]) }) }
            var tasks: [String: Any] = [:]
            for task in config.tasks.map(\.name) {
                var per: [String: Any] = [:]
                for key in metrics {
                    per[key] = stats(finals.map { number((($0["tasks"] as? [String: Any])?[task] as? [String: Any])?[key]) })
                }
                tasks[task] = per
            }
            var spent: [String: Any] = [:]
            for key in totals { spent[key] = stats(mine.map { number(($0["totals"] as? [String: Any])?[key]) }) }
            var entry: [String: Any] = [
                "algorithm": method.algorithm.rawValue, "seeds": mine.compactMap { $0["seed"] }, "cells": mine.count,
                "final": overall, "tasks": tasks, "totals": spent,
            ]
            let shares = mine.compactMap { $0["term_shares"] as? [String: Any] }
            if !shares.isEmpty {
                var s: [String: Any] = [:]
                for key in ["exploration", "imitation", "alignment"] { s[key] = stats(shares.map { number($0[key]) }) }
                entry["term_shares"] = s
            }
            methods[method.name] = entry
        }
        return ["name": config.name, "steps": config.steps, "eval_every": config.evalEvery,
                "prompts_per_step": config.promptsPerStep, "group_size": config.groupSize, "max_tokens": config.maxTokens,
                "baseline": baseline.filter { $0.key != "items" }, "methods": methods,
                "cells_done": cells.count, "cells_planned": config.cells.count]
    }

    static func number(_ value: Any?) -> Double? {
        if let d = value as? Double { return d }
        if let n = value as? NSNumber { return n.doubleValue }
        return nil
    }

    /// Mean, sample standard deviation (n − 1; null for one value), min, max and the values; nulls are skipped and counted.
    static func stats(_ values: [Double?]) -> [String: Any] {
        let xs = values.compactMap { $0 }
        guard !xs.isEmpty else { return ["n": 0, "missing": values.count] }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let std: Any = xs.count > 1
            ? (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)).squareRoot() : NSNull()
        return ["n": xs.count, "missing": values.count - xs.count, "mean": mean, "std": std,
                "min": xs.min()!, "max": xs.max()!, "values": xs]
    }
}
