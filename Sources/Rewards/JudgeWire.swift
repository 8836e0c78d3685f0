/// A remote judge's wire format: how items become a request body and how a reply becomes outcomes.
/// Conformers: `GraoBatchWire`, `OpenRLHFWire`, `OpenAIChatWire`. Everything about I/O (deadlines, retries,
/// breaker, cache) lives in `RemoteJudge`, once.
protocol JudgeWire: Sendable {
    /// The protocol's name in specs and logs.
    var protocolName: String { get }
    /// Items per HTTP request.
    var batchSize: Int { get }
    /// What, besides the URL, makes two judges score differently (model, template, range); part of cache keys.
    var identity: String { get }
    /// A failure when this item cannot be sent at all (e.g. the template needs a reference the item lacks).
    func precheck(_ item: RewardItem) -> RewardFailure?
    /// The JSON request body for a batch.
    func body(for items: [RewardItem]) -> [UInt8]
    /// Outcomes for a 2xx reply; exactly one per item, failures for anything unusable.
    func parse(_ reply: [UInt8], items: [RewardItem]) -> [RewardOutcome]
}

extension JudgeWire {
    /// The same failure for every item (the reply as a whole was unusable).
    func failAll(_ items: [RewardItem], _ reason: String) -> [RewardOutcome] {
        items.map { _ in .failure(RewardFailure(.invalidReply, reason)) }
    }

    /// A score checked to be finite and inside `range`.
    func checkedScore(_ value: JSONValue?, range: ClosedRange<Double>?, what: String) -> RewardOutcome {
        guard case .number(let d)? = value else {
            return .failure(RewardFailure(.invalidReply, "\(what) is not a number"))
        }
        guard d.isFinite else { return .failure(RewardFailure(.invalidReply, "\(what) is not finite")) }
        if let range, !range.contains(d) {
            return .failure(RewardFailure(.invalidReply, "\(what) \(d) is outside [\(range.lowerBound), \(range.upperBound)]"))
        }
        return .score(RewardScore(d))
    }

    /// Parses a reply, turning bad JSON into a reason that quotes the start of the body.
    func parseJSON(_ reply: [UInt8]) -> Result<JSONValue, RewardFailure> {
        do {
            return .success(try JSONValue.parse(reply))
        } catch {
            let start = String(decoding: reply.prefix(60), as: UTF8.self)
            return .failure(RewardFailure(.invalidReply, "reply is not valid JSON: \"\(start)\""))
        }
    }
}
