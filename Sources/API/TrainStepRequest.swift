import Alignment
import Foundation
import HTTP
import Rewards

/// The data side of `POST /v1/train/step`: the algorithm, and exactly one source of groups (stored ids, inline
/// scored groups, or fresh prompts), validated against what the algorithm needs before the engine is asked.
enum TrainStepRequest {
    /// Reads `algorithm`: a name (`"grao"`) or an object with its hyper-parameters (`AlgorithmConfig`'s JSON).
    static func algorithm(_ body: JSONObjectReader) throws -> AlgorithmConfig {
        guard let raw = body.raw("algorithm") else {
            throw body.invalid("algorithm", code: "missing_field", "is required: grao, grpo, dpo or sft (or an object with \"name\")")
        }
        guard raw is String || raw is [String: Any] else { throw body.invalid("algorithm", "must be a name or an object") }
        do {
            let data = try JSONSerialization.data(withJSONObject: raw, options: [.fragmentsAllowed])
            return try JSONDecoder().decode(AlgorithmConfig.self, from: data)
        } catch let error as AlignmentError {
            throw invalid(error)
        } catch let DecodingError.typeMismatch(_, context) {
            throw StoreError.invalid("algorithm." + context.codingPath.map(\.stringValue).joined(separator: "."), "has the wrong type")
        } catch let DecodingError.keyNotFound(key, _) {
            throw StoreError.invalid("algorithm.\(key.stringValue)", "is required")
        } catch {
            throw body.invalid("algorithm", "is not a valid algorithm setting")
        }
    }

    /// An Alignment error about request data as a 400; its text names the field (`algorithm.beta: ...`).
    static func invalid(_ error: AlignmentError) -> HTTPError {
        guard case .invalidTraining(let why) = error, let colon = why.range(of: ": ") else {
            return HTTPError(.badRequest, code: "invalid_training", message: error.description)
        }
        return StoreError.invalid(String(why[..<colon.lowerBound]), String(why[colon.upperBound...]))
    }

    /// Whether an example needs a reference answer under `algorithm` (GRAO and SFT always; DPO for given pairs and
    /// reference-vs-worst pairs).
    static func needsReference(_ algorithm: AlgorithmConfig, hasRejected: Bool) -> Bool {
        switch algorithm.name {
        case .grao, .sft: return true
        case .dpo: return hasRejected || algorithm.pairDerivation == .referenceVsWorst
        case .grpo: return false
        }
    }

    /// Checks a group against the algorithm; `field` names it in the error.
    static func check(_ group: RolloutGroup, algorithm: AlgorithmConfig, field: String) throws {
        let name = algorithm.name.rawValue
        if needsReference(algorithm, hasRejected: group.rejected != nil), group.reference == nil {
            throw StoreError.invalid(field + ".reference", "is required by \(name)")
        }
        if algorithm.samplesGroup(hasRejected: group.rejected != nil), group.samples.isEmpty {
            throw StoreError.invalid(field + ".samples", "\(name) needs samples in every group")
        }
    }

    /// `groups`: inline groups generated elsewhere, `{prompt | messages, reference?, rejected?, metadata?,
    /// samples: [{"text" | "tokens", "reward"?}], reference_reward?}`. Without a top-level `reward`, each sample
    /// carries its reward (null or absent = the reward failed: masked out of the step and counted); with one,
    /// the server scores them and rewards must not be given.
    static func inlineGroups(_ body: JSONObjectReader, info: ModelInfo, limits: APIServer.RequestLimits,
                             algorithm: AlgorithmConfig, serverScored: Bool)
        throws -> [(group: RolloutGroup, rewards: [Double?], referenceReward: Double?)] {
        guard let readers = try body.optionalObjects("groups", maxCount: limits.maxPrompts), !readers.isEmpty else {
            throw body.invalid("groups", "must be a non-empty array of groups")
        }
        let codec = try GroupRequest.codec(info, field: "groups")
        var total = 0
        return try readers.map { r in
            let item = try GroupRequest.readItem(r, info: info, requireReference: nil, finish: false)
            var group = RolloutGroup(example: item.example, prompt: item.prompt.tokens, samples: [], reference: item.reference,
                                     rejected: item.rejected)
            var rewards: [Double?] = []
            let samples = try r.optionalObjects("samples", maxCount: limits.maxGroupSize) ?? []
            total += samples.count
            if total > limits.maxSamples { throw r.invalid("samples", "more than \(limits.maxSamples) samples in one request") }
            for s in samples {
                let sample: RolloutSample
                switch (try s.optionalString("text"), try s.optionalArray("tokens", maxCount: info.config.contextLength)) {
                case (let text?, nil):
                    sample = RolloutSample(tokens: codec.answerTokens(text), text: text)
                case (nil, let list?):
                    var tokens: [Int] = []
                    for (i, v) in list.enumerated() {
                        guard !JSONObjectReader.isBool(v), let d = v as? Double, d == d.rounded(), d >= 0, d < Double(info.config.vocabSize) else {
                            throw s.invalid("tokens[\(i)]", "must be a token id in 0..<\(info.config.vocabSize)")
                        }
                        tokens.append(Int(d))
                    }
                    if tokens.isEmpty { throw s.invalid("tokens", "must not be empty") }
                    sample = RolloutSample(tokens: tokens, text: codec.text(of: tokens.filter { !codec.endOfSequence.contains($0) }))
                case (nil, nil): throw s.invalid("text", code: "missing_field", "is required (or give 'tokens')")
                default: throw s.invalid("text", "cannot be given together with 'tokens'")
                }
                if item.prompt.tokens.count + sample.tokens.count > info.config.contextLength {
                    throw HTTPError(.badRequest, code: "context_length_exceeded",
                                    message: "field '\(s.path)': prompt and sample exceed the context length \(info.config.contextLength)")
                }
                if serverScored {
                    if s.has("reward") { throw s.invalid("reward", "must not be given when the request has a 'reward' to score with") }
                } else {
                    rewards.append(try s.optionalDouble("reward"))
                }
                try s.finish()
                group.samples.append(sample)
            }
            var referenceReward: Double?
            if serverScored {
                if r.has("reference_reward") { throw r.invalid("reference_reward", "must not be given when the request has a 'reward'") }
            } else {
                referenceReward = try r.optionalDouble("reference_reward")
            }
            try r.finish()
            try check(group, algorithm: algorithm, field: r.path)
            return (group, rewards, referenceReward)
        }
    }
}
