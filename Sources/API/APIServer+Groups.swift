import Alignment
import Foundation
import HTTP
import Rewards

extension APIServer {
    /// `POST /v1/groups`: for each prompt item, sample G completions, score them (and the reference against
    /// itself) with `reward`, and compute group-relative advantages; the groups are kept server-side under ids
    /// for `POST /v1/train/step`. `GET /v1/groups/{id}` returns one again.
    ///
    /// Body: `prompts` (items as in `GroupRequest`), `group_size` | `n` (default 8), `max_tokens` (default 64),
    /// `temperature`, `top_p`, `top_k`, `min_p`, `seed`, `stop`, `reward`, `reference_in_group` (default true),
    /// `advantage_clip`, `advantage_epsilon`.
    func registerGroupRoutes(_ routes: inout APIRoutes) {
        routes.add(.POST, "/v1/groups") { [self] request in
            let state = try self.state
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let items = try GroupRequest.readItems(body, key: "prompts", info: info, limits: configuration.limits,
                                                   requireReference: nil)
            let options = try groupOptions(body, info: info)
            let advantageOptions = try Self.advantageOptions(body)
            let reward = try resolveReward(body)
            try body.finish()

            let policy = engine.snapshot  // the policy the samples come from (a step queued first makes them stale)
            let step = policy.step
            let sampled = try await sampleGroups(items, options: options, info: info)
            let outcomes = await scoreGroups(sampled, reward: reward)
            let groups = try zip(sampled, outcomes).map { group, scored in
                try Self.storedGroup(group, outcomes: scored, advantages: advantageOptions, reward: reward.name, policy: policy)
            }
            let stored = state.groups.insert(groups)
            return try JSONResponse.make([
                "groups": stored.map(Self.groupJSON), "policy_step": step, "seed": options.seed,
                "expires_in_seconds": Int(state.groups.maxAge),
            ] as [String: Any], status: .created)
        }
        routes.add(.GET, "/v1/groups/{id}") { [self] request in
            let state = try self.state
            return try JSONResponse.make(Self.groupJSON(try state.groups.get(request.pathParameters["id"] ?? "")))
        }
    }

    /// Sampling options of a group request: the generate route's fields, with G = 8 and 64 tokens by default.
    func groupOptions(_ body: JSONObjectReader, info: ModelInfo) throws -> GenerationOptions {
        let givenCount = body.has("n") || body.has("group_size")
        var options = try GenerationOptions.read(body, limits: configuration.limits, vocabularySize: info.config.vocabSize,
                                                 defaultMaxTokens: min(64, configuration.limits.maxNewTokens),
                                                 groupSizeAlias: true)
        if !givenCount { options.sampleCount = min(8, configuration.limits.maxGroupSize) }
        return options
    }

    /// `reference_in_group`, `advantage_clip`, `advantage_epsilon` (how a group's rewards become advantages).
    static func advantageOptions(_ body: JSONObjectReader) throws -> GroupAdvantages.Options {
        var options = GroupAdvantages.Options()
        options.referenceInGroup = try body.optionalBool("reference_in_group") ?? true
        if let clip = try body.optionalDouble("advantage_clip", in: 0...1e6) {
            if clip == 0 { throw body.invalid("advantage_clip", "must be > 0 (omit it for no clipping)") }
            options.clip = clip
        }
        if let epsilon = try body.optionalDouble("advantage_epsilon", in: 0...1) {
            if epsilon == 0 { throw body.invalid("advantage_epsilon", "must be > 0") }
            options.epsilon = epsilon
        }
        return options
    }

    /// A sampled group with its outcomes and advantages, ready to store.
    static func storedGroup(_ group: RolloutGroup, outcomes: (samples: [RewardOutcome], reference: RewardOutcome?),
                            advantages: GroupAdvantages.Options, reward: String,
                            policy: ComputeEngine.Snapshot) throws -> StoredGroup {
        let sampleRewards = outcomes.samples.map(\.value)
        let referenceReward = outcomes.reference?.value
        return StoredGroup(scored: try ScoredGroup(group: group, sampleRewards: sampleRewards, referenceReward: referenceReward),
                           sampleOutcomes: outcomes.samples, referenceOutcome: outcomes.reference,
                           advantages: GroupAdvantages(sampleRewards: sampleRewards, referenceReward: referenceReward,
                                                       options: advantages),
                           rewardName: reward, policyStep: policy.step, policyVersion: policy.policyVersion)
    }

    /// A stored group as JSON: prompt, reference, samples with rewards (or failures) and advantages, statistics.
    static func groupJSON(_ g: StoredGroup) -> [String: Any] {
        let example = g.scored.group.example
        let samples: [[String: Any]] = g.scored.group.samples.enumerated().map { i, s in
            var object: [String: Any] = ["text": s.text, "tokens": s.tokens, "token_count": s.tokens.count,
                                         "finish_reason": s.finishReason?.rawValue ?? "given",
                                         "advantage": g.advantages.samples[i].map { JSONResponse.number($0) } ?? NSNull()]
            object.merge(outcomeJSON(g.sampleOutcomes[i])) { a, _ in a }
            return object
        }
        var object: [String: Any] = [
            "id": g.id, "created_at": g.createdAt, "prompt": example.promptText,
            "messages": example.messages.map { ["role": $0.role, "content": $0.content] },
            "prompt_tokens": g.scored.group.prompt.count, "reward": g.rewardName, "policy_step": g.policyStep,
            "samples": samples, "reward_mean": JSONResponse.number(g.advantages.mean),
            "reward_std": JSONResponse.number(g.advantages.standardDeviation), "zero_variance": g.advantages.isZeroVariance,
            "metadata": example.metadata,
        ]
        if let reference = example.reference {
            object["reference"] = reference
            object["reference_reward"] = g.referenceOutcome?.value.map { JSONResponse.number($0) } ?? NSNull()
            object["reference_advantage"] = g.advantages.reference.map { JSONResponse.number($0) } ?? NSNull()
            if let failure = g.referenceOutcome?.failure {
                object["reference_failure"] = ["kind": failure.kind.rawValue, "reason": failure.reason]
            }
        }
        if let rejected = example.rejected { object["rejected"] = rejected }
        return object
    }
}
