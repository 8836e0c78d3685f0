/// A packed batch dealt out to the workers of a data-parallel pass: each share is a batch of whole
/// sequences that one worker runs through every layer on its own, with its own activations.
///
/// Why: splitting every product of one pass over two threads makes each core wait for the other at
/// every product and every row-wise layer (~20 barriers a layer), and a core that the hypervisor slows
/// for a moment stalls both. Whole sequences per worker need one barrier per pass; measured on the
/// 8 × 192 scoring pass, 496 tok/s against 419 tok/s for split products in the same run.
struct BatchShares: Sendable {
    /// One batch per share (each at least one pair).
    let batches: [TrainingBatch]
    /// For each share, the full batch's flat target index of every target of the share, in share order.
    let targetIndices: [[Int]]
    /// Rows and targets of the full batch the shares came from.
    let rowCount: Int
    let targetCount: Int
    let pairCount: Int

    /// The largest share's rows may be at most this fraction of all rows. A pass of split products runs
    /// at ~0.85 of two independent workers, i.e. it takes ~0.59 of the one-worker time, so a share plan
    /// whose largest share is above that would be slower than splitting every product.
    static let largestShareLimit = 0.58

    /// Deals the sequences of `batch` to `workers` shares, largest first to the lightest share (rows
    /// balance whatever the order of lengths). nil when there is nothing to share (one worker, fewer
    /// sequences than workers) or when one sequence outweighs the others too much to balance.
    static func plan(_ batch: TrainingBatch, workers: Int, config: LlamaConfig) throws -> BatchShares? {
        let count = min(workers, batch.pairs.count)
        guard count >= 2, batch.rowCount > 0 else { return nil }
        var members = [[Int]](repeating: [], count: count)
        var rows = [Int](repeating: 0, count: count)
        let longestFirst = batch.lengths.indices.sorted {
            batch.lengths[$0] != batch.lengths[$1] ? batch.lengths[$0] > batch.lengths[$1] : $0 < $1
        }
        for pair in longestFirst {
            let lightest = rows.indices.min { rows[$0] < rows[$1] }!
            members[lightest].append(pair)
            rows[lightest] += batch.lengths[pair]
        }
        guard Double(rows.max()!) <= largestShareLimit * Double(batch.rowCount) else { return nil }
        var batches: [TrainingBatch] = [], targetIndices: [[Int]] = []
        for share in members.map({ $0.sorted() }) {
            batches.append(try TrainingBatch(pairs: share.map { batch.pairs[$0] }, config: config))
            targetIndices.append(share.flatMap { p in
                batch.targetStarts[p]..<(batch.targetStarts[p] + batch.pairs[p].completion.count)
            })
        }
        return BatchShares(batches: batches, targetIndices: targetIndices, rowCount: batch.rowCount,
                           targetCount: batch.targetCount, pairCount: batch.pairs.count)
    }

    /// Shares in the plan.
    var count: Int { batches.count }

    /// Whether `batch` is the batch this plan was made from (same sequences, rows and targets).
    func matches(_ batch: TrainingBatch) -> Bool {
        batch.rowCount == rowCount && batch.targetCount == targetCount && batch.pairs.count == pairCount
    }

    /// Per-target values of the full batch (flat, pair order) cut into each share's order.
    func split(_ flat: [Float]) -> [[Float]] {
        targetIndices.map { indices in indices.map { flat[$0] } }
    }

    /// The inverse of `split`: each share's per-target values put back in the full batch's order.
    func gather(_ perShare: [[Float]]) -> [Float] {
        var flat = [Float](repeating: 0, count: targetCount)
        for (indices, values) in zip(targetIndices, perShare) {
            for (index, value) in zip(indices, values) { flat[index] = value }
        }
        return flat
    }
}
