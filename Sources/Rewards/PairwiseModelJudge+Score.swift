extension PairwiseModelJudge {
    /// Judges a batch with one scorer call (so the model packs every query into few forward passes). If that call
    /// fails and the batch has several items, each item is asked again on its own, so one bad item (a text too
    /// long for the model's context) fails alone instead of masking its whole group. A scorer failure is a
    /// failure of the item, never a tie.
    public func score(_ items: [RewardItem]) async -> [RewardOutcome] {
        var outcomes = [RewardOutcome?](repeating: nil, count: items.count)
        var pending: [Int] = []
        for (i, item) in items.enumerated() {
            guard let reference = item.reference else {
                outcomes[i] = .failure(RewardFailure(.missingInput, "the model judge compares with a reference; the item has none"))
                continue
            }
            if identicalIsTie, Self.trimmed(item.completion) == Self.trimmed(reference) {
                outcomes[i] = .score(RewardScore(0, components: ["identical": 1]))
                continue
            }
            pending.append(i)
        }
        let perItem = bothOrders ? 6 : 3
        switch await ask(pending.flatMap { queries(for: items[$0]) }) {
        case .success(let values):
            for (k, i) in pending.enumerated() { outcomes[i] = outcome(values[k * perItem..<(k + 1) * perItem]) }
        case .failure(let failure) where pending.count == 1 || failure.kind == .cancelled:
            for i in pending { outcomes[i] = .failure(failure) }
        case .failure:
            for i in pending {
                switch await ask(queries(for: items[i])) {
                case .success(let values): outcomes[i] = outcome(values[...])
                case .failure(let failure): outcomes[i] = .failure(failure)
                }
            }
        }
        return outcomes.map { $0! }
    }

    /// One scorer call, its problems turned into a failure with a reason.
    private func ask(_ queries: [LikelihoodQuery]) async -> Result<[Double], RewardFailure> {
        if queries.isEmpty { return .success([]) }
        if Task.isCancelled { return .failure(RewardFailure(.cancelled, "cancelled before the model judge ran")) }
        do {
            let values = try await scorer.logLikelihoods(queries)
            guard values.count == queries.count else {
                return .failure(RewardFailure(.invalidReply,
                                              "the model scorer returned \(values.count) values for \(queries.count) queries"))
            }
            return .success(values)
        } catch is CancellationError {
            return .failure(RewardFailure(.cancelled, "cancelled while the model judge ran"))
        } catch {
            return .failure(RewardFailure(.judgeError, "model scorer: \(String(describing: error).prefix(300))"))
        }
    }

    /// The text without leading and trailing whitespace.
    private static func trimmed(_ s: String) -> Substring {
        let start = s.firstIndex { !$0.isWhitespace } ?? s.endIndex
        let end = s.lastIndex { !$0.isWhitespace }.map { s.index(after: $0) } ?? start
        return s[start..<end]
    }
}
