import Testing
@testable import Llama

/// How a packed batch is dealt to the workers: whole sequences, every one exactly once, balanced by rows,
/// and per-target values cut and put back in the full batch's order.
@Suite struct BatchSharesTests {
    /// A pair whose fed rows (prompt + completion − 1) number `rows`, with `rows / 2` targets.
    static func pair(rows: Int, first: Int) -> ScoringPair {
        let targets = max(rows / 2, 1)
        let tokens = (0..<(rows + 1)).map { (first + $0) % 60 }
        return ScoringPair(prompt: Array(tokens[..<(rows + 1 - targets)]), completion: Array(tokens[(rows + 1 - targets)...]))
    }

    @Test func dealsWholeSequencesBalancedByRows() throws {
        let cfg = TinyModels.config(tied: true, contextLength: 64)
        let pairs = [10, 6, 4, 1, 1].enumerated().map { Self.pair(rows: $1, first: $0 * 7) }
        let batch = try TrainingBatch(pairs: pairs, config: cfg)
        let plan = try #require(try BatchShares.plan(batch, workers: 2, config: cfg))
        #expect(plan.count == 2 && plan.matches(batch))
        #expect(plan.batches.map(\.rowCount).sorted() == [11, 11])  // 10 + 1 and 6 + 4 + 1
        // Every pair exactly once, in their original order within a share.
        let dealt = plan.batches.flatMap(\.pairs)
        #expect(dealt.count == pairs.count && Set(pairs.indices.map { i in dealt.filter { $0 == pairs[i] }.count }) == [1])
        // split then gather is the identity on per-target values.
        let values = (0..<batch.targetCount).map { Float($0) * 1.5 }
        #expect(plan.gather(plan.split(values)) == values)
        for (share, part) in zip(plan.batches, plan.split(values)) { #expect(share.targetCount == part.count) }
    }

    @Test func nothingToShareGivesNoPlan() throws {
        let cfg = TinyModels.config(tied: true, contextLength: 64)
        let even = try TrainingBatch(pairs: [Self.pair(rows: 8, first: 1), Self.pair(rows: 8, first: 2)], config: cfg)
        #expect(try BatchShares.plan(even, workers: 1, config: cfg) == nil)
        #expect(try BatchShares.plan(even, workers: 2, config: cfg) != nil)
        let single = try TrainingBatch(pairs: [Self.pair(rows: 30, first: 3)], config: cfg)
        #expect(try BatchShares.plan(single, workers: 2, config: cfg) == nil)
        // One sequence of 50 rows against two of 2: the largest share would be 50/54 of the work.
        let dominated = try TrainingBatch(pairs: [Self.pair(rows: 50, first: 4), Self.pair(rows: 2, first: 5),
                                                  Self.pair(rows: 2, first: 6)], config: cfg)
        #expect(try BatchShares.plan(dominated, workers: 2, config: cfg) == nil)
        // More workers than sequences: one share per sequence.
        let three = try TrainingBatch(pairs: (0..<3).map { Self.pair(rows: 5, first: $0) }, config: cfg)
        #expect(try BatchShares.plan(three, workers: 4, config: cfg)?.count == 3)
    }
}
