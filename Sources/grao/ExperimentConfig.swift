import Alignment
import Foundation
import Llama
import Rewards

/// What `grao experiment` runs: tasks (datasets, rewards, evaluation sets), the methods compared, the seeds, and
/// the training budget every method shares (same starting weights, LoRA settings, prompts and steps).
/// Read from JSON (examples/experiments/*.json; docs/experiment.md lists every field).
struct ExperimentConfig {
    /// One task: where its data is, how its completions are scored, what counts as a success.
    struct Task {
        var name: String
        var train: String
        var eval: String
        /// Held-out prompts used (the first N lines of the eval file).
        var evalSize: Int
        /// The reward spec (docs/rewards.md); "{{judge_url}}" inside strings is replaced by the judge server's URL.
        var reward: JSONValue
        var rule: Evaluator.Task
    }

    /// One method (or ablation) under comparison.
    struct Method {
        enum Algorithm: String, CaseIterable { case sft, dpo, grpo, grao }
        /// Where DPO's pairs come from: the dataset's "rejected" answers, or the reference against the worst sample.
        enum Pairs: String, CaseIterable { case dataset, referenceVsWorst = "reference_vs_worst" }

        var name: String
        var algorithm: Algorithm
        /// Seeds for this method (defaults to the experiment's).
        var seeds: [UInt64]
        var grao = GRAOObjective.Config()
        var grpo = GRPOObjective.Config()
        var dpo = DPOObjective.Config()
        var pairs = Pairs.referenceVsWorst
        /// The rollout's view of this method.
        var algorithmConfig: AlgorithmConfig {
            AlgorithmConfig(AlgorithmConfig.Name(rawValue: algorithm.rawValue)!, grao: grao, grpo: grpo, dpo: dpo,
                            pairDerivation: .referenceVsWorst)
        }
    }

    var name: String
    var model: String
    var threads: Int
    var seeds: [UInt64]
    var steps: Int
    var evalEvery: Int
    var promptsPerStep: Int
    var groupSize: Int
    var maxTokens: Int
    var temperature: Float
    var evalMaxTokens: Int
    var evalBatchSize: Int
    var lora: LoRAConfig
    var learningRate: Double
    var warmup: Int
    var cosine: Bool
    var weightDecay: Float
    var maxGradNorm: Double?
    var microBatchTokens: Int
    /// A Python judge server started for the run (script and its arguments; it must print {"port": N} when
    /// started with `--port 0`, like examples/judges/judge_server.py); nil when no task needs one.
    var judgeServer: (script: String, args: [String])?
    var tasks: [Task]
    var methods: [Method]

    /// Parses and checks a config; every error names the JSON path at fault.
    init(json text: String) throws {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch { throw ExperimentError("config is not JSON: \(error)") }
        var o = try ConfigObject(root, path: "$")
        name = try o.string("name")
        model = try o.string("model", default: "models/SmolLM2-135M-Instruct.Q4_1.gguf")
        threads = try o.int("threads", default: 2, min: 1, max: 64)
        seeds = try Self.seeds(o.array("seeds"), path: "$.seeds") ?? [1, 2, 3]
        steps = try o.int("steps", min: 1, max: 100_000)
        evalEvery = try o.int("eval_every", min: 1, max: 100_000)
        promptsPerStep = try o.int("prompts_per_step", min: 1, max: 1024)
        groupSize = try o.int("group_size", default: 8, min: 2, max: 64)
        maxTokens = try o.int("max_tokens", min: 1, max: 1024)
        temperature = Float(try o.number("temperature", default: 0.7, min: 0.01, max: 10))
        var ev = try o.object("eval") ?? ConfigObject(.object([:]), path: "$.eval")
        evalMaxTokens = try ev.int("max_tokens", default: maxTokens, min: 1, max: 1024)
        evalBatchSize = try ev.int("batch_size", default: 16, min: 1, max: 256)
        try ev.finish()
        guard var lo = try o.object("lora") else { throw o.error("lora", "required (every method trains the same LoRA adapters)") }
        let rank = try lo.int("rank", min: 1, max: 256)
        var targets = LoRATarget.allCases
        if let list = try lo.array("targets") {
            targets = try list.enumerated().map { i, v in
                guard case .string(let s) = v, let t = LoRATarget(rawValue: s) else {
                    throw lo.error("targets[\(i)]", "expected one of \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return t
            }
        }
        lora = LoRAConfig(rank: rank, alpha: try lo.number("alpha", default: Double(2 * rank), min: 1e-6), targets: targets)
        try lo.finish()
        var opt = try o.object("optimizer") ?? ConfigObject(.object([:]), path: "$.optimizer")
        learningRate = try opt.number("lr", default: 1e-4, min: 1e-12, max: 1)
        warmup = try opt.int("warmup", default: 0, min: 0, max: 100_000)
        let schedule = try opt.string("schedule", default: "constant")
        guard ["constant", "cosine"].contains(schedule) else { throw opt.error("schedule", "expected constant or cosine") }
        cosine = schedule == "cosine"
        weightDecay = Float(try opt.number("weight_decay", default: 0.01, min: 0, max: 1))
        let clip = try opt.number("max_grad_norm", default: 1.0, min: 0)
        maxGradNorm = clip > 0 ? clip : nil
        try opt.finish()
        microBatchTokens = try o.int("micro_batch_tokens", default: 2048, min: 16, max: 1 << 20)
        if var j = try o.object("judge_server") {
            let script = try j.string("script")
            let args = try (j.array("args") ?? []).enumerated().map { i, v -> String in
                guard case .string(let s) = v else { throw j.error("args[\(i)]", "expected a string") }
                return s
            }
            judgeServer = (script, args)
            try j.finish()
        }
        guard let taskList = try o.array("tasks"), !taskList.isEmpty else { throw o.error("tasks", "required non-empty array") }
        tasks = try taskList.enumerated().map { try Self.task($1, path: "$.tasks[\($0)]") }
        if let dup = Self.duplicate(tasks.map(\.name)) { throw o.error("tasks", "task name '\(dup)' appears twice") }
        guard let methodList = try o.array("methods"), !methodList.isEmpty else { throw o.error("methods", "required non-empty array") }
        let defaultSeeds = seeds
        methods = try methodList.enumerated().map { try Self.method($1, path: "$.methods[\($0)]", seeds: defaultSeeds) }
        if let dup = Self.duplicate(methods.map(\.name)) { throw o.error("methods", "method name '\(dup)' appears twice") }
        try o.finish()
        if judgeServer == nil, let t = tasks.first(where: { $0.reward.text.contains("{{judge_url}}") }) {
            throw ExperimentError("$.tasks: task '\(t.name)' uses {{judge_url}} but there is no judge_server")
        }
    }

    static func task(_ value: JSONValue, path: String) throws -> Task {
        var t = try ConfigObject(value, path: path)
        let name = try t.string("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw t.error("name", "use letters, digits, '_' or '-' only")
        }
        guard let reward = t.value("reward") else { throw t.error("reward", "required reward spec") }
        let comparison = try t.string("comparison", default: "reward_vs_reference")
        guard let c = Evaluator.Task.Comparison(rawValue: comparison) else {
            throw t.error("comparison", "expected reward_vs_reference or pairwise")
        }
        let task = Task(name: name, train: try t.string("train"), eval: try t.string("eval"),
                        evalSize: try t.int("eval_size", min: 1, max: 100_000), reward: reward,
                        rule: .init(successThreshold: try t.number("success_threshold"), comparison: c))
        try t.finish()
        return task
    }

    static func method(_ value: JSONValue, path: String, seeds: [UInt64]) throws -> Method {
        var m = try ConfigObject(value, path: path)
        let name = try m.string("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw m.error("name", "use letters, digits, '_' or '-' only")
        }
        let algorithmName = try m.string("algorithm")
        guard let algorithm = Method.Algorithm(rawValue: algorithmName) else {
            throw m.error("algorithm", "expected one of sft, dpo, grpo, grao")
        }
        var method = Method(name: name, algorithm: algorithm, seeds: try Self.seeds(m.array("seeds"), path: "\(path).seeds") ?? seeds)
        switch algorithm {
        case .grao:
            method.grao = GRAOObjective.Config(
                beta: try m.number("beta", default: 0.5, min: 0), lambda: try m.number("lambda", default: 0.6, min: 0),
                advantages: .init(referenceInGroup: try m.bool("reference_in_group", default: true)),
                useExploration: try m.bool("use_exploration", default: true),
                useImitation: try m.bool("use_imitation", default: true),
                useAlignment: try m.bool("use_alignment", default: true))
        case .grpo:
            method.grpo = GRPOObjective.Config(clipEpsilon: try m.number("clip_epsilon", default: 0.2, min: 0, max: 1),
                                               klCoefficient: try m.number("kl_coefficient", default: 0.04, min: 0))
        case .dpo:
            method.dpo = DPOObjective.Config(beta: try m.number("dpo_beta", default: 0.1, min: 1e-6))
            let pairs = try m.string("pairs", default: "reference_vs_worst")
            guard let p = Method.Pairs(rawValue: pairs) else { throw m.error("pairs", "expected dataset or reference_vs_worst") }
            method.pairs = p
        case .sft: break
        }
        try m.finish()
        return method
    }

    static func seeds(_ list: [JSONValue]?, path: String) throws -> [UInt64]? {
        guard let list else { return nil }
        guard !list.isEmpty else { throw ExperimentError("\(path): needs at least one seed") }
        let seeds = try list.enumerated().map { i, v -> UInt64 in
            guard case .number(let d) = v, d == d.rounded(), d >= 0, d < 1e15 else {
                throw ExperimentError("\(path)[\(i)]: expected a whole number >= 0")
            }
            return UInt64(d)
        }
        guard Set(seeds).count == seeds.count else { throw ExperimentError("\(path): seeds repeat") }
        return seeds
    }

    static func duplicate(_ names: [String]) -> String? {
        var seen: Set<String> = []
        return names.first { !seen.insert($0).inserted }
    }

    /// The config with its relative paths (model, datasets, judge script) taken relative to `root`.
    func resolved(against root: String) -> ExperimentConfig {
        func r(_ path: String) -> String { path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path) }
        var c = self
        c.model = r(model)
        c.tasks = tasks.map { var t = $0; t.train = r(t.train); t.eval = r(t.eval); return t }
        c.judgeServer = judgeServer.map { (r($0.script), $0.args) }
        return c
    }

    /// Every (method, seed) cell in run order: seeds outer, so that a cut-short run has every method at the first seeds.
    var cells: [(method: Method, seed: UInt64)] {
        let allSeeds = methods.flatMap(\.seeds).reduce(into: [UInt64]()) { if !$0.contains($1) { $0.append($1) } }
        return allSeeds.flatMap { seed in methods.filter { $0.seeds.contains(seed) }.map { ($0, seed) } }
    }
}
