/// The metrics of one evaluation (all prompts, or one task's), computed from per-prompt results alone.
///
/// RAS follows the paper: the win rate against the reference answer under the task's judge, strictly (wins only)
/// and with ties counted as wins. NAG compares each prompt's verdict after training with the starting model's
/// verdict on the same prompt: the paper's definition is the fraction of prompts that improved; "net" subtracts the
/// fraction that got worse (the paper's tables print negative NAG, which only a net rate can produce).
public struct EvaluationSummary: Sendable, Equatable, Codable {
    /// Prompts evaluated.
    public var prompts: Int
    /// Prompts whose reward failed (excluded from reward, success and RAS; counted here, never read as 0).
    public var failures: Int
    public var meanReward: Double?
    public var successRate: Double?
    /// Wins / compared prompts.
    public var winRate: Double?
    /// (Wins + ties) / compared prompts.
    public var winOrTieRate: Double?
    /// Fraction of prompts (with both verdicts) whose verdict improved over the baseline's; nil without a baseline.
    public var nag: Double?
    /// Fraction improved minus fraction worsened; nil without a baseline.
    public var nagNet: Double?
    public var meanCompletionTokens: Double

    /// Summarizes `items`; `baseline` (the starting model on the same prompts, same order) enables NAG.
    public init(_ items: [EvaluatedCompletion], baseline: [EvaluatedCompletion]? = nil) {
        precondition(baseline == nil || baseline!.count == items.count, "baseline must cover the same prompts")
        prompts = items.count
        let rewards = items.compactMap(\.reward)
        failures = items.count - rewards.count
        meanReward = Self.mean(rewards)
        successRate = Self.rate(items.compactMap(\.success))
        let verdicts = items.compactMap(\.verdict)
        winRate = Self.rate(verdicts.map { $0 == .win })
        winOrTieRate = Self.rate(verdicts.map { $0 != .loss })
        if let baseline {
            let pairs = zip(items, baseline).compactMap { a, b -> (Verdict, Verdict)? in
                guard let after = a.verdict, let before = b.verdict else { return nil }
                return (after, before)
            }
            let improved = Self.rate(pairs.map { $0.0 > $0.1 })
            let worsened = Self.rate(pairs.map { $0.0 < $0.1 })
            nag = improved
            nagNet = improved.flatMap { i in worsened.map { i - $0 } }
        }
        meanCompletionTokens = items.isEmpty ? 0 : Double(items.reduce(0) { $0 + $1.tokens }) / Double(items.count)
    }

    /// One summary per task (sorted by name), each against the matching baseline items.
    public static func byTask(_ items: [EvaluatedCompletion], baseline: [EvaluatedCompletion]? = nil)
        -> [(task: String, summary: EvaluationSummary)] {
        Set(items.map(\.task)).sorted().map { task in
            let indices = items.indices.filter { items[$0].task == task }
            return (task, EvaluationSummary(indices.map { items[$0] }, baseline: baseline.map { b in indices.map { b[$0] } }))
        }
    }

    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
    static func rate(_ flags: [Bool]) -> Double? { mean(flags.map { $0 ? 1 : 0 }) }
}
