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
