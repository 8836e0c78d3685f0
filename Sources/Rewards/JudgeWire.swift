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

/// Our batch protocol (docs/rewards.md, "grao batch protocol"):
/// `{"items": [{"id", "prompt", "completion", "reference"?, "metadata"?}]}` ->
/// `{"results": [{"id", "score", "components"?} | {"id", "error"}]}`, one result per item, matched by id.
struct GraoBatchWire: JudgeWire {
    let batchSize: Int
    let range: ClosedRange<Double>?
    var protocolName: String { "grao" }
    var identity: String { "grao \(range.map { "\($0)" } ?? "")" }

    func precheck(_ item: RewardItem) -> RewardFailure? { nil }

    func body(for items: [RewardItem]) -> [UInt8] {
        let list: [JSONValue] = items.enumerated().map { i, item in
            var o: [String: JSONValue] = ["id": .string(String(i)), "prompt": .string(item.prompt),
                                          "completion": .string(item.completion)]
            if let r = item.reference { o["reference"] = .string(r) }
            if !item.metadata.isEmpty { o["metadata"] = .object(item.metadata.mapValues { .string($0) }) }
            return .object(o)
        }
        return JSONValue.object(["items": .array(list)]).serialized()
    }

    func parse(_ reply: [UInt8], items: [RewardItem]) -> [RewardOutcome] {
        let json: JSONValue
        switch parseJSON(reply) {
        case .failure(let f): return items.map { _ in .failure(f) }
        case .success(let j): json = j
        }
        guard case .object(let top) = json, case .array(let results)? = top["results"] else {
            return failAll(items, "reply has no \"results\" array")
        }
        guard results.count == items.count else {
            return failAll(items, "reply has \(results.count) results for \(items.count) items")
        }
        var byID: [String: [String: JSONValue]] = [:]
        for r in results {
            guard case .object(let o) = r, case .string(let id)? = o["id"] else {
                return failAll(items, "a result is not an object with a string \"id\"")
            }
            guard byID.updateValue(o, forKey: id) == nil else { return failAll(items, "result id \"\(id)\" repeats") }
        }
        return items.indices.map { i in
            guard let o = byID[String(i)] else {
                return .failure(RewardFailure(.invalidReply, "no result for item id \"\(i)\""))
            }
            if case .string(let message)? = o["error"] {
                return .failure(RewardFailure(.judgeError, "judge: \(message.prefix(200))"))
            }
            var outcome = checkedScore(o["score"], range: range, what: "score for item \(i)")
            if case .score(var s) = outcome, case .object(let comps)? = o["components"] {
                for (k, v) in comps {
                    guard case .number(let d) = v, d.isFinite else {
                        return .failure(RewardFailure(.invalidReply, "component \"\(k)\" for item \(i) is not a finite number"))
                    }
                    s.components[k] = d
                }
                outcome = .score(s)
            }
            return outcome
        }
    }
}

/// OpenRLHF's remote reward protocol: `{"query": [prompt+completion], "prompts": [...], "labels": [...]}` ->
/// `{"rewards": [...]}` (a bare number is accepted when there is one item).
struct OpenRLHFWire: JudgeWire {
    let batchSize: Int
    let range: ClosedRange<Double>?
    var protocolName: String { "openrlhf" }
    var identity: String { "openrlhf \(range.map { "\($0)" } ?? "")" }

    func precheck(_ item: RewardItem) -> RewardFailure? { nil }

    func body(for items: [RewardItem]) -> [UInt8] {
        JSONValue.object([
            "query": .array(items.map { .string($0.prompt + $0.completion) }),
            "prompts": .array(items.map { .string($0.prompt) }),
            "labels": .array(items.map { .string($0.reference ?? "") }),
        ]).serialized()
    }

    func parse(_ reply: [UInt8], items: [RewardItem]) -> [RewardOutcome] {
        let json: JSONValue
        switch parseJSON(reply) {
        case .failure(let f): return items.map { _ in .failure(f) }
        case .success(let j): json = j
        }
        guard case .object(let top) = json, let rewards = top["rewards"] else {
            return failAll(items, "reply has no \"rewards\"")
        }
        switch rewards {
        case .number where items.count == 1:
            return [checkedScore(rewards, range: range, what: "reward")]
        case .array(let list):
            guard list.count == items.count else {
                return failAll(items, "reply has \(list.count) rewards for \(items.count) items")
            }
            return list.enumerated().map { i, v in checkedScore(v, range: range, what: "reward for item \(i)") }
        default:
            return failAll(items, "\"rewards\" must be an array (or a number for one item)")
        }
    }
}
