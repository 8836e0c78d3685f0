import Foundation
import Testing
@testable import Alignment

/// The algorithm configuration's JSON: snake_case keys, defaults, a bare name, strict refusal of unknown or
/// misplaced keys, and validation naming the field.
@Suite struct AlgorithmConfigTests {
    static func decode(_ json: String) throws -> AlgorithmConfig {
        try JSONDecoder().decode(AlgorithmConfig.self, from: Data(json.utf8))
    }

    static func message(_ json: String) -> String {
        do {
            _ = try decode(json)
            return "decoded"
        } catch { return "\(error)" }
    }

    @Test func readsEachAlgorithmsSettings() throws {
        let grao = try Self.decode(#"{"name": "grao", "beta": 0.3, "lambda": 0.2, "reference_in_group": false, "advantage_clip": 3, "use_imitation": false}"#)
        #expect(grao.name == .grao && grao.grao.beta == 0.3 && grao.grao.lambda == 0.2)
        #expect(!grao.grao.advantages.referenceInGroup && grao.grao.advantages.clip == 3 && !grao.grao.useImitation)
        let grpo = try Self.decode(#"{"name": "grpo", "clip_epsilon": 0.1, "kl_coefficient": 0}"#)
        #expect(grpo.grpo.clipEpsilon == 0.1 && grpo.grpo.klCoefficient == 0 && !grpo.needsReferencePolicy)
        let dpo = try Self.decode(#"{"name": "dpo", "beta": 0.2, "pair_derivation": "best_vs_worst"}"#)
        #expect(dpo.dpo.beta == 0.2 && dpo.pairDerivation == .bestVsWorst && dpo.needsReferencePolicy)
        #expect(try Self.decode(#""sft""#) == AlgorithmConfig(.sft))
        #expect(try Self.decode(#"{"name": "grao"}"#) == AlgorithmConfig(.grao), "paper defaults")
    }

    @Test(arguments: [AlgorithmConfig(.grao, grao: .init(beta: 0.1, lambda: 0.9, advantages: .init(referenceInGroup: false, clip: 2))),
                      AlgorithmConfig(.grpo, grpo: .init(clipEpsilon: 0.3, klCoefficient: 0.01)),
                      AlgorithmConfig(.dpo, dpo: .init(beta: 0.5), pairDerivation: .bestVsWorst), AlgorithmConfig(.sft)])
    func roundTrips(config: AlgorithmConfig) throws {
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(AlgorithmConfig.self, from: data) == config)
        #expect(String(decoding: data, as: UTF8.self).contains("\"name\""))
    }

    @Test(arguments: [
        (#"{"name": "ppo"}"#, "algorithm.name: unknown algorithm 'ppo'"),
        (#""ppo""#, "unknown algorithm 'ppo'"),
        (#"{"name": "grao", "betta": 1}"#, "unknown field 'betta'"),
        (#"{"name": "grao", "clip_epsilon": 0.2}"#, "algorithm.clip_epsilon: not a setting of grao"),
        (#"{"name": "sft", "beta": 0.2}"#, "algorithm.beta: not a setting of sft"),
        (#"{"name": "grao", "beta": -1}"#, "algorithm.beta: must be a finite number >= 0"),
        (#"{"name": "grao", "advantage_clip": 0}"#, "algorithm.advantage_clip: must be a finite number > 0"),
        (#"{"name": "grao", "use_exploration": false, "use_imitation": false, "use_alignment": false}"#, "at least one"),
        (#"{"name": "grpo", "clip_epsilon": 1.5}"#, "algorithm.clip_epsilon: must be in (0, 1)"),
        (#"{"name": "dpo", "beta": 0}"#, "algorithm.beta: must be a finite number > 0"),
        (#"{"name": "dpo", "pair_derivation": "random"}"#, "algorithm.pair_derivation: 'random'"),
    ])
    func refusesBadSettingsNamingTheField(json: String, expected: String) {
        let message = Self.message(json)
        #expect(message.contains(expected), "\(json) -> \(message)")
    }
}
