import Foundation
import Testing
@testable import Alignment
@testable import Llama

/// Run configs as JSON: defaults, snake_case, round trips, strict keys, and the trainer settings' conversion.
@Suite struct RunConfigTests {
    static func decode(_ json: String) throws -> RunConfig { try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8)) }

    @Test func emptyObjectGivesTheDefaults() throws {
        let config = try Self.decode("{}")
        #expect(config == RunConfig())
        #expect(config.rollout.groupSize == 8 && config.rollout.sampling.temperature == 0.7 && config.algorithm.name == .grao)
        #expect(try config.trainerConfig().schedule.peak == 1e-6 && config.trainer.maxGradNorm == 1)
    }

    @Test func readsEveryField() throws {
        let config = try Self.decode("""
            {"algorithm": {"name": "dpo", "beta": 0.2}, "trainer": {"mode": "lora", "lora_rank": 4, "lora_targets": ["v", "q"],
             "learning_rate": 0.001, "schedule": "cosine", "warmup_steps": 2, "max_grad_norm": null},
             "steps": 12, "prompts_per_step": 2, "group_size": 4, "max_tokens": 32, "temperature": 1.0, "top_p": 0.9,
             "seed": 7, "eval_every": 3, "eval_at_start": false, "checkpoint_every": 6, "checkpoint_at_end": false,
             "labels": {"dataset": "arith.jsonl"}}
            """)
        #expect(config.algorithm == AlgorithmConfig(.dpo, dpo: .init(beta: 0.2)))
        #expect(config.steps == 12 && config.promptsPerStep == 2 && config.rollout.groupSize == 4 && config.rollout.maxTokens == 32)
        #expect(config.rollout.sampling.topP == 0.9 && config.seed == 7 && config.evalEvery == 3 && !config.evalAtStart)
        #expect(config.checkpointEvery == 6 && !config.checkpointAtEnd && config.labels == ["dataset": "arith.jsonl"])
        let trainer = try config.trainerConfig()
        #expect(trainer.mode == .lora(LoRAConfig(rank: 4, alpha: 8, targets: [.q, .v])))
        #expect(trainer.maxGradNorm == nil && trainer.schedule.decay == .cosine && trainer.schedule.totalSteps == 12)
        #expect(trainer.seed == 7)
        let again = try JSONDecoder().decode(RunConfig.self, from: try JSONEncoder().encode(config))
        #expect(again == config)
    }

    @Test(arguments: [
        (#"{"stepz": 3}"#, "run config: unknown field 'stepz'"),
        (#"{"steps": 0}"#, "steps must be in 1...100000"),
        (#"{"group_size": 0}"#, "group_size must be in 1...1024"),
        (#"{"temperature": -1}"#, "temperature -1.0 must be a finite number >= 0"),
        (#"{"eval_every": -1}"#, "eval_every must be >= 0"),
        (#"{"trainer": {"lr": 1}}"#, "trainer: unknown field 'lr'"),
        (#"{"trainer": {"learning_rate": 0}}"#, "trainer.learning_rate: must be in (0, 1)"),
        (#"{"trainer": {"mode": "lora", "lora_rank": 0}}"#, "trainer.lora_rank: must be in 1...1024"),
        (#"{"trainer": {"schedule": "cosine", "warmup_steps": 30}}"#, "trainer.schedule: invalid learning-rate schedule"),
        (#"{"algorithm": {"name": "grao", "kl_coefficient": 1}}"#, "algorithm.kl_coefficient: not a setting of grao"),
    ])
    func refusesBadFieldsByName(json: String, expected: String) {
        do {
            _ = try Self.decode(json)
            Issue.record("\(json) decoded")
        } catch {
            #expect("\(error)".contains(expected), "\(json) -> \(error)")
        }
    }
}
