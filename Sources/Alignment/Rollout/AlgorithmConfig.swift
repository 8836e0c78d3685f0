import Foundation

/// Which objective a step optimizes and its hyper-parameters, as one value the CLI, the API and run configs share.
///
/// JSON (snake_case): `{"name": "grao", "beta": 0.5, "lambda": 0.6, "reference_in_group": true, "advantage_clip": 5}`,
/// `{"name": "grpo", "clip_epsilon": 0.2, "kl_coefficient": 0.04}`, `{"name": "dpo", "beta": 0.1,
/// "pair_derivation": "reference_vs_worst"}`, `{"name": "sft"}`, or just the name as a string for the defaults.
/// A key that belongs to another algorithm, or no algorithm, is refused rather than ignored.
public struct AlgorithmConfig: Sendable, Equatable, Codable {
    /// The four objectives of DESIGN.md §2.
    public enum Name: String, Sendable, Codable, CaseIterable {
        case grao, grpo, dpo, sft
    }

    public var name: Name
    /// GRAO's beta, lambda, advantage options and ablation switches (read when `name == .grao`).
    public var grao: GRAOObjective.Config
    /// GRPO's clip epsilon and KL coefficient (read when `name == .grpo`).
    public var grpo: GRPOObjective.Config
    /// DPO's beta (read when `name == .dpo`).
    public var dpo: DPOObjective.Config
    /// How DPO makes a pair from a scored group when the example gives no rejected answer.
    public var pairDerivation: PreferencePair.Derivation

    /// A configuration with the paper's defaults for everything not given; call `validate()` before use.
    public init(_ name: Name, grao: GRAOObjective.Config = .init(), grpo: GRPOObjective.Config = .init(),
                dpo: DPOObjective.Config = .init(), pairDerivation: PreferencePair.Derivation = .referenceVsWorst) {
        self.name = name
        self.grao = grao
        self.grpo = grpo
        self.dpo = dpo
        self.pairDerivation = pairDerivation
    }

    /// Whether steps need the frozen reference policy's log-probs (DPO always; GRPO when its KL term is on).
    public var needsReferencePolicy: Bool {
        name == .dpo || (name == .grpo && grpo.klCoefficient != 0)
    }

    /// Whether the rollout samples from the policy for an example (SFT never; DPO not when a rejected answer is given).
    public func samplesGroup(hasRejected: Bool) -> Bool {
        switch name {
        case .sft: return false
        case .dpo: return !hasRejected
        case .grao, .grpo: return true
        }
    }

    /// Refuses values that would make the objective meaningless, naming the field.
    public func validate() throws {
        func bad(_ field: String, _ why: String) -> AlignmentError { .invalidTraining("algorithm.\(field): \(why)") }
        switch name {
        case .grao:
            guard grao.beta.isFinite, grao.beta >= 0 else { throw bad("beta", "must be a finite number >= 0, got \(grao.beta)") }
            guard grao.lambda.isFinite, grao.lambda >= 0 else {
                throw bad("lambda", "must be a finite number >= 0, got \(grao.lambda)")
            }
            if let clip = grao.advantages.clip, !(clip.isFinite && clip > 0) {
                throw bad("advantage_clip", "must be a finite number > 0, got \(clip)")
            }
            guard grao.useExploration || grao.useImitation || grao.useAlignment else {
                throw bad("use_exploration", "at least one of the three GRAO terms must be on")
            }
        case .grpo:
            guard grpo.clipEpsilon.isFinite, grpo.clipEpsilon > 0, grpo.clipEpsilon < 1 else {
                throw bad("clip_epsilon", "must be in (0, 1), got \(grpo.clipEpsilon)")
            }
            guard grpo.klCoefficient.isFinite, grpo.klCoefficient >= 0 else {
                throw bad("kl_coefficient", "must be a finite number >= 0, got \(grpo.klCoefficient)")
            }
            if let clip = grpo.advantages.clip, !(clip.isFinite && clip > 0) {
                throw bad("advantage_clip", "must be a finite number > 0, got \(clip)")
            }
        case .dpo:
            guard dpo.beta.isFinite, dpo.beta > 0 else { throw bad("beta", "must be a finite number > 0, got \(dpo.beta)") }
        case .sft:
            break
        }
    }

    enum Key: String, CodingKey, CaseIterable {
        case name, beta, lambda
        case referenceInGroup = "reference_in_group", advantageClip = "advantage_clip"
        case advantageEpsilon = "advantage_epsilon"
        case useExploration = "use_exploration", useImitation = "use_imitation", useAlignment = "use_alignment"
        case clipEpsilon = "clip_epsilon", klCoefficient = "kl_coefficient", pairDerivation = "pair_derivation"
    }

    /// The keys each algorithm accepts besides `name`.
    static func keys(for name: Name) -> Set<Key> {
        switch name {
        case .grao: return [.beta, .lambda, .referenceInGroup, .advantageClip, .advantageEpsilon, .useExploration,
                            .useImitation, .useAlignment]
        case .grpo: return [.clipEpsilon, .klCoefficient, .advantageClip, .advantageEpsilon]
        case .dpo: return [.beta, .pairDerivation]
        case .sft: return []
        }
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            guard let name = Name(rawValue: text) else {
                throw AlignmentError.invalidTraining("algorithm: unknown algorithm '\(text)' (grao, grpo, dpo or sft)")
            }
            self.init(name)
            return
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys where Key(rawValue: key.stringValue) == nil {
            throw AlignmentError.invalidTraining("algorithm: unknown field '\(key.stringValue)'")
        }
        let k = try decoder.container(keyedBy: Key.self)
        let raw = try k.decode(String.self, forKey: .name)
        guard let name = Name(rawValue: raw) else {
            throw AlignmentError.invalidTraining("algorithm.name: unknown algorithm '\(raw)' (grao, grpo, dpo or sft)")
        }
        let allowed = Self.keys(for: name)
        for key in k.allKeys where key != .name && !allowed.contains(key) {
            throw AlignmentError.invalidTraining("algorithm.\(key.rawValue): not a setting of \(name.rawValue)")
        }
        self.init(name)
        switch name {
        case .grao:
            var g = GRAOObjective.Config()
            g.beta = try k.decodeIfPresent(Double.self, forKey: .beta) ?? g.beta
            g.lambda = try k.decodeIfPresent(Double.self, forKey: .lambda) ?? g.lambda
            g.advantages.referenceInGroup = try k.decodeIfPresent(Bool.self, forKey: .referenceInGroup) ?? true
            g.advantages.clip = try k.decodeIfPresent(Double.self, forKey: .advantageClip)
            g.advantages.epsilon = try k.decodeIfPresent(Double.self, forKey: .advantageEpsilon) ?? g.advantages.epsilon
            g.useExploration = try k.decodeIfPresent(Bool.self, forKey: .useExploration) ?? true
            g.useImitation = try k.decodeIfPresent(Bool.self, forKey: .useImitation) ?? true
            g.useAlignment = try k.decodeIfPresent(Bool.self, forKey: .useAlignment) ?? true
            grao = g
        case .grpo:
            grpo.clipEpsilon = try k.decodeIfPresent(Double.self, forKey: .clipEpsilon) ?? grpo.clipEpsilon
            grpo.klCoefficient = try k.decodeIfPresent(Double.self, forKey: .klCoefficient) ?? grpo.klCoefficient
            grpo.advantages.clip = try k.decodeIfPresent(Double.self, forKey: .advantageClip)
            grpo.advantages.epsilon = try k.decodeIfPresent(Double.self, forKey: .advantageEpsilon) ?? grpo.advantages.epsilon
        case .dpo:
            dpo.beta = try k.decodeIfPresent(Double.self, forKey: .beta) ?? dpo.beta
            if let text = try k.decodeIfPresent(String.self, forKey: .pairDerivation) {
                guard let d = PreferencePair.Derivation(rawValue: text) else {
                    throw AlignmentError.invalidTraining(
                        "algorithm.pair_derivation: '\(text)' is not best_vs_worst or reference_vs_worst")
                }
                pairDerivation = d
            }
        case .sft:
            break
        }
        if let epsilon = try k.decodeIfPresent(Double.self, forKey: .advantageEpsilon), !(epsilon.isFinite && epsilon > 0) {
            throw AlignmentError.invalidTraining("algorithm.advantage_epsilon: must be a finite number > 0, got \(epsilon)")
        }
        try validate()
    }

    /// Writes the name and the settings of this algorithm only.
    public func encode(to encoder: any Encoder) throws {
        var k = encoder.container(keyedBy: Key.self)
        try k.encode(name.rawValue, forKey: .name)
        switch name {
        case .grao:
            try k.encode(grao.beta, forKey: .beta)
            try k.encode(grao.lambda, forKey: .lambda)
            try k.encode(grao.advantages.referenceInGroup, forKey: .referenceInGroup)
            try k.encodeIfPresent(grao.advantages.clip, forKey: .advantageClip)
            try k.encode(grao.advantages.epsilon, forKey: .advantageEpsilon)
            try k.encode(grao.useExploration, forKey: .useExploration)
            try k.encode(grao.useImitation, forKey: .useImitation)
            try k.encode(grao.useAlignment, forKey: .useAlignment)
        case .grpo:
            try k.encode(grpo.clipEpsilon, forKey: .clipEpsilon)
            try k.encode(grpo.klCoefficient, forKey: .klCoefficient)
            try k.encodeIfPresent(grpo.advantages.clip, forKey: .advantageClip)
            try k.encode(grpo.advantages.epsilon, forKey: .advantageEpsilon)
        case .dpo:
            try k.encode(dpo.beta, forKey: .beta)
            try k.encode(pairDerivation.rawValue, forKey: .pairDerivation)
        case .sft:
            break
        }
    }
}

/// A coding key for any string, to find fields a strict decoder does not know.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
