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
