import Llama

/// How groups are sampled: G, the token budget and the sampler's settings.
public struct RolloutSettings: Sendable, Equatable, Codable {
    /// G: samples per prompt.
    public var groupSize: Int
    /// Most tokens per sample (end-of-sequence included).
    public var maxTokens: Int
    /// Temperature and truncation.
    public var sampling: SamplingParameters
    /// Generation stops when the text contains one of these.
    public var stop: [String]

    /// Settings with the paper's defaults (G = 8, temperature 0.7).
    public init(groupSize: Int = 8, maxTokens: Int = 64, sampling: SamplingParameters = .init(), stop: [String] = []) {
        self.groupSize = groupSize
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
    }

    /// Refuses out-of-range values, naming the field. G is capped at 1024 like the generator's own check.
    public func validate() throws {
        guard (1...1024).contains(groupSize) else {
            throw AlignmentError.invalidTraining("group_size must be in 1...1024, got \(groupSize)")
        }
        guard maxTokens >= 1 else { throw AlignmentError.invalidTraining("max_tokens must be >= 1, got \(maxTokens)") }
        guard !stop.contains(where: \.isEmpty) else { throw AlignmentError.invalidTraining("stop strings must not be empty") }
        do { try sampling.validate() } catch { throw AlignmentError.invalidTraining("sampling: \(error)") }
    }
}

/// The rollout of one update step, in three synchronous phases so that a caller can run the heavy ones on its
/// compute thread and await (asynchronous, possibly remote) rewards in between:
///
/// 1. `sample`: chat-format the examples and sample a group per example from the current policy (heavy);
/// 2. the caller scores `queries(for:)` with its reward model (`nil` = failed) and pairs them back with `scored`;
/// 3. `items`: build the objective items (and the reference policy's log-probs DPO and GRPO's KL need, heavy)
///    plus the rollout's statistics.
///
/// Groups generated elsewhere enter at phase 2 or 3 through `inlineGroup`.
public struct Rollout: Sendable {
    public var algorithm: AlgorithmConfig
    public var settings: RolloutSettings
    public var codec: any RolloutCodec

    /// A rollout; validates both configurations.
    public init(algorithm: AlgorithmConfig, settings: RolloutSettings, codec: any RolloutCodec) throws {
        try algorithm.validate()
        try settings.validate()
        self.algorithm = algorithm
        self.settings = settings
        self.codec = codec
    }

    /// Whether this algorithm needs a reference answer on every example.
    func needsReference(_ example: TrainingExample) -> Bool {
        switch algorithm.name {
        case .grao, .sft: return true
        case .dpo: return example.rejected != nil || algorithm.pairDerivation == .referenceVsWorst
        case .grpo: return false
        }
    }

    /// Checks that an example has what the algorithm needs (a reference for GRAO, SFT and most DPO), naming it
    /// by its dataset line or index; returns the name used in messages.
    @discardableResult
    public func checkExample(_ example: TrainingExample, index: Int) throws -> String {
        let name = example.line > 0 ? "example at line \(example.line)" : "example \(index)"
        if needsReference(example), example.reference == nil {
            throw AlignmentError.invalidTraining("\(name): \(algorithm.name.rawValue) needs a \"reference\" answer")
        }
        guard !example.messages.isEmpty else { throw AlignmentError.invalidTraining("\(name): no prompt messages") }
        return name
    }

    /// Prompt, reference and rejected tokens of an example, without samples.
    public func group(for example: TrainingExample, index: Int) throws -> RolloutGroup {
        let name = try checkExample(example, index: index)
        let prompt: [Int]
        do { prompt = try codec.promptTokens(example.messages) } catch {
            throw AlignmentError.invalidTraining("\(name): prompt: \(error)")
        }
        guard !prompt.isEmpty else { throw AlignmentError.invalidTraining("\(name): the prompt has no tokens") }
        return RolloutGroup(example: example, prompt: prompt, samples: [],
                            reference: example.reference.map(codec.answerTokens),
                            rejected: example.rejected.map(codec.answerTokens))
    }

    /// Phase 1: one group per example, sampled from `policy` where the algorithm samples (example i draws
    /// from seed `seed &+ i`, so a step is reproducible from its seed).
    public func sample(_ examples: [TrainingExample], policy: LlamaModel, seed: UInt64) throws -> [RolloutGroup] {
        var groups = try examples.enumerated().map { try group(for: $1, index: $0) }
        let sampled = groups.indices.filter { algorithm.samplesGroup(hasRejected: groups[$0].rejected != nil) }
        guard !sampled.isEmpty else { return groups }
        let requests = sampled.map { i in
            GenerationRequest(prompt: groups[i].prompt, sampleCount: settings.groupSize, maxTokens: settings.maxTokens,
                              sampling: settings.sampling, seed: seed &+ UInt64(i), stop: settings.stop)
        }
        let generated: [[GeneratedSample]]
        do {
            generated = try policy.generate(requests, endOfSequence: codec.endOfSequence,
                                            decoder: CodecTextDecoder(codec: codec))
        } catch { throw AlignmentError.invalidTraining("sampling: \(error)") }
        for (i, samples) in zip(sampled, generated) {
            groups[i].samples = samples.map { RolloutSample(tokens: $0.tokens, text: $0.text, finishReason: $0.finishReason) }
        }
        return groups
    }

    /// A completion generated elsewhere: its text (tokenized as an answer, end-of-turn appended) or its tokens.
    public enum InlineSample: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    /// A group whose samples were generated elsewhere; tokens are checked against the vocabulary of `vocabularySize`.
    public func inlineGroup(example: TrainingExample, samples: [InlineSample], vocabularySize: Int,
                            index: Int = 0) throws -> RolloutGroup {
        var group = try group(for: example, index: index)
        for (i, sample) in samples.enumerated() {
            switch sample {
            case .text(let text):
                group.samples.append(RolloutSample(tokens: codec.answerTokens(text), text: text))
            case .tokens(let tokens):
                guard !tokens.isEmpty else { throw AlignmentError.invalidTraining("samples[\(i)]: no tokens") }
                if let bad = tokens.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                    throw AlignmentError.invalidTraining("samples[\(i)]: token \(bad) outside the vocabulary 0..<\(vocabularySize)")
                }
                group.samples.append(RolloutSample(tokens: tokens, text: codec.text(of: tokens.filter {
                    !codec.endOfSequence.contains($0)
                })))
            }
        }
        return group
    }

    /// Whether the reference answer is scored too (GRAO's r_y; DPO's reference-vs-worst pairs).
    public var scoresReference: Bool {
        algorithm.name == .grao || (algorithm.name == .dpo && algorithm.pairDerivation == .referenceVsWorst)
    }

    /// Phase 2, what to score: per group its samples, then its reference answer when `scoresReference` (and the
    /// group has samples and a reference). `scored` reads the rewards back in this order.
    public func queries(for groups: [RolloutGroup]) -> [RewardQuery] {
        groups.flatMap { group -> [RewardQuery] in
            let example = group.example
            var queries = group.samples.map {
                RewardQuery(prompt: example.promptText, completion: $0.text, reference: example.reference,
                            metadata: example.metadata)
            }
            if scoresReference, !group.samples.isEmpty, let reference = example.reference {
                queries.append(RewardQuery(prompt: example.promptText, completion: reference, reference: reference,
                                           metadata: example.metadata))
            }
            return queries
        }
    }

    /// Phase 2, back: splits rewards laid out as `queries(for:)` into scored groups (`nil` = failed).
    public func scored(_ groups: [RolloutGroup], rewards: [Double?]) throws -> [ScoredGroup] {
        let expected = queries(for: groups).count
        guard rewards.count == expected else {
            throw AlignmentError.invalidTraining("\(rewards.count) rewards for \(expected) reward queries")
        }
        var cursor = 0, result: [ScoredGroup] = []
        for group in groups {
            let g = group.samples.count
            let samples = Array(rewards[cursor..<cursor + g])
            cursor += g
            var reference: Double?
            if scoresReference, g > 0, group.example.reference != nil {
                reference = rewards[cursor]
                cursor += 1
            }
            result.append(try ScoredGroup(group: group, sampleRewards: samples, referenceReward: reference))
        }
        return result
    }
}
