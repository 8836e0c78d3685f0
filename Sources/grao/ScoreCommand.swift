import API
import ArgumentParser
import Foundation
import Logging
import Rewards

/// `grao score`: scores one completion with a reward spec and prints the result as JSON, so a spec can be tried
/// (and a remote judge checked) without the server.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score one completion with a reward spec; prints JSON.",
        discussion: "Exit status: 0 scored, 1 the reward failed for this item (the reason is printed), 64 bad arguments or spec.")

    @Option(help: "Reward spec: inline JSON, or @path to a JSON file (docs/rewards.md).")
    var reward: String

    @Option(help: "The prompt the completion answers.")
    var prompt: String?

    @Option(help: "The completion to score.")
    var completion: String?

    @Option(help: "Score a JSONL file of {\"prompt\", \"completion\", \"reference\"?} lines in one batch instead.")
    var items: String?

    @Flag(help: "With --items: print only a summary line (throughput, failures, client CPU time).")
    var summary = false

    @Option(help: "Reference answer, for rewards that compare with one.")
    var reference: String?

    @Option(help: "Seed for retry jitter of remote judges.")
    var seed: UInt64 = 0x6772_616F

    /// The model file, read only when the spec has a `model_judge`.
    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        if items == nil, prompt == nil || completion == nil {
            throw ValidationError("give --prompt and --completion, or --items FILE")
        }
        if items != nil, prompt != nil || completion != nil || reference != nil {
            throw ValidationError("--items cannot be combined with --prompt, --completion or --reference")
        }
    }

    func run() async throws {
        if let items {
            let failed = try await runBatch(path: items)
            if failed > 0 { throw ExitCode(1) }
            return
        }
        let (json, scored) = try await evaluate()
        print(json)
        if !scored { throw ExitCode(1) }
    }

    /// The reward the spec describes; spec errors become usage errors naming the field.
    func makeModel() throws -> any RewardModel {
        let specText: String
        if reward.hasPrefix("@") {
            let path = String(reward.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read reward spec file \(path)")
            }
            specText = String(decoding: data, as: UTF8.self)
        } else {
            specText = reward
        }
        var logger = Logger(label: "grao.score") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        var context = RewardContext(logger: logger, seed: seed)
        if RewardSpec.needsLikelihoodScorer(json: specText) {
            do {
                context.likelihoodScorer = try ModelLikelihoodScorer(loaded: try modelOptions.loadModel())
            } catch let error as ModelLikelihoodScorer.ScorerError {
                throw ValidationError("\(modelOptions.model): \(error)")
            }
        }
        let model: any RewardModel
        do {
            model = try RewardSpec.makeReward(json: specText, context: context)
        } catch let error as RewardError {
            throw ValidationError("invalid reward spec: \(error)")
        }
        return model
    }

    /// The JSON line to print and whether the item was scored (false = a reward failure).
    func evaluate() async throws -> (String, Bool) {
        let model = try makeModel()
        let item = RewardItem(prompt: prompt ?? "", completion: completion ?? "", reference: reference)
        let outcome = await model.score([item])[0]
        return (Self.render(outcome, reward: model.name), outcome.value != nil)
    }

    /// One result as a JSON line: `{"reward", "score", "components"}` or `{"reward", "failure": {"kind", "reason"}}`.
    static func render(_ outcome: RewardOutcome, reward: String) -> String {
        var out: [String: JSONValue] = ["reward": .string(reward)]
        switch outcome {
        case .score(let s):
            out["score"] = .number(s.value)
            out["components"] = .object(s.components.mapValues { .number($0) })
        case .failure(let f):
            out["failure"] = .object(["kind": .string(f.kind.rawValue), "reason": .string(f.reason)])
        }
        return JSONValue.object(out).text
    }
}
