import Foundation
import HTTP
import Rewards

extension APIServer {
    /// Most items one `POST /v1/score` may carry.
    static let maxScoreItems = 4096

    /// `POST /v1/score`: `{"items": [{"prompt", "completion", "reference"?, "metadata"?}], "reward": name | spec}`
    /// -> one result per item, in order: `{"score", "components"}` or `{"failure": {"kind", "reason"}}`. Rule
    /// rewards and remote judges never touch the model and do not wait for the engine; a `model_judge` reads
    /// likelihoods in engine jobs (`EngineLikelihoodScorer`), in turn with everything else the engine runs.
    func registerScoreRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/score") { [self] request in
            let body = try JSONObjectReader.parse(request.body)
            guard let items = try body.optionalObjects("items", maxCount: Self.maxScoreItems) else {
                throw body.invalid("items", code: "missing_field", "is required")
            }
            if items.isEmpty { throw body.invalid("items", "must not be empty") }
            let rewardItems = try items.map(Self.rewardItem)
            let reward = try resolveReward(body)
            try body.finish()
            let start = ContinuousClock.now
            let outcomes = await reward.score(rewardItems)
            let elapsed = ContinuousClock.now - start
            metrics.recordScoring(outcomes, reward: reward)
            let values = outcomes.compactMap(\.value)
            return try JSONResponse.make([
                "reward": reward.name,
                "results": outcomes.map(Self.outcomeJSON),
                "scored": values.count,
                "failed": outcomes.count - values.count,
                "mean": values.isEmpty ? NSNull() : values.reduce(0, +) / Double(values.count),
                "seconds": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            ] as [String: Any])
        }
    }

    /// The `reward` field of a body (required): a registered name, a built-in type, or an inline spec.
    func resolveReward(_ body: JSONObjectReader) throws -> any RewardModel {
        guard let raw = body.raw("reward") else { throw body.invalid("reward", code: "missing_field", "is required") }
        let field = body.name("reward")
        return try self.state.rewards.resolve(try Self.jsonValue(raw, field: field), path: field)
    }

    /// One `{"prompt", "completion", "reference"?, "metadata"?}` item.
    static func rewardItem(_ item: JSONObjectReader) throws -> RewardItem {
        let result = RewardItem(prompt: try item.string("prompt"), completion: try item.string("completion"),
                                reference: try item.optionalString("reference"), metadata: try stringMap(item, "metadata"))
        try item.finish()
        return result
    }

    /// An optional object of string values (`metadata`).
    static func stringMap(_ body: JSONObjectReader, _ key: String) throws -> [String: String] {
        guard let raw = body.raw(key) else { return [:] }
        guard let object = raw as? [String: Any] else { throw body.invalid(key, "must be an object of strings") }
        var out: [String: String] = [:]
        for (k, v) in object {
            guard let text = v as? String else { throw body.invalid("\(key).\(k)", "must be a string") }
            out[k] = text
        }
        return out
    }

    /// A reward outcome as JSON: `{"score", "components"}` or `{"failure": {"kind", "reason"}}`.
    static func outcomeJSON(_ outcome: RewardOutcome) -> [String: Any] {
        switch outcome {
        case .score(let s):
            return ["score": JSONResponse.number(s.value), "components": s.components.mapValues { JSONResponse.number($0) }]
        case .failure(let f):
            return ["failure": ["kind": f.kind.rawValue, "reason": f.reason]]
        }
    }
}
