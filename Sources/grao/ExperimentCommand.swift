import Alignment
import ArgumentParser
import Foundation
import LinearAlgebra
import Llama
import Rewards
import Tokenization

/// `grao experiment --config C.json`: trains every configured method (SFT, DPO, GRPO, GRAO and GRAO's ablations)
/// from the same starting weights over several seeds, evaluates on held-out prompts every K steps, writes raw JSONL,
/// per-cell results and `summary.json` under `--out`, then runs tools/experiment/report.py for the markdown report
/// and plots. Resumable: with `--resume`, cells whose result file exists are skipped.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "Compare GRAO with SFT, DPO and GRPO over seeds (docs/experiment.md).")

    @Option(help: "Experiment config JSON (examples/experiments/*.json).") var config: String
    @Option(help: "Output directory (default data/experiments/<name>).") var out: String?
    @Flag(help: "Continue in an existing output directory: finished (method, seed) cells are skipped.") var resume = false
    @Option(help: "Run only these cells: comma-separated method names or <method>-seed<N>.") var only: String?
    @Option(help: "Markdown report to write (default <out>/report.md; its figures go in a folder of the same name).")
    var report: String?
    @Flag(help: "Do not run the report script at the end.") var noReport = false
    @Flag(help: "Only evaluate the starting model (baseline.json), to size tasks; no training.") var baselineOnly = false
    @Option(help: "Directory that relative paths in the config, the report script and its Python are taken from.")
    var root = "."
    @Option(help: "Python for the report, relative to --root unless absolute (made by tools/experiment/make-venv.sh).")
    var python = "tools/experiment/.venv/bin/python"

    func underRoot(_ path: String) -> String { path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path) }

    func run() async throws {
        let configText: String
        guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("cannot read config \(config)") }
        configText = String(decoding: data, as: UTF8.self)
        let experiment: ExperimentConfig
        do { experiment = try ExperimentConfig(json: configText).resolved(against: root) } catch let e as ExperimentError {
            throw ValidationError("\(config): \(e.description)")
        }
        let outDir = out ?? "data/experiments/\(experiment.name)"
        let selected = try selectedCells(experiment)
        try prepareOutput(outDir, canonicalConfig: try JSONValue.parse(configText).text)
        let progress = Progress(total: selected.count)
        BLAS.threadCount = experiment.threads

        let modelOptions = try ModelOptions.parse(["--model", experiment.model])
        let loaded = try modelOptions.loadModel()
        let judge = try experiment.judgeServer.map { try JudgeServer(command: ["python3", $0.script] + $0.args) }
        if let judge { progress.say("judge server \(judge.url) (pid \(judge.pid))") }
        let codec: ChatRolloutCodec
        do { codec = ChatRolloutCodec(tokenizer: loaded.tokenizer, template: try ChatTemplate(gguf: loaded.file)) } catch {
            throw ValidationError("\(experiment.model): chat template: \(error)")
        }
        let tasks = try ExperimentData(config: experiment, codec: codec, judgeURL: judge?.url)
        let rewards = tasks.rewards, names = experiment.tasks.map(\.name)
        let evaluator = try Evaluator(
            prompts: tasks.eval, tasks: Dictionary(uniqueKeysWithValues: experiment.tasks.map { ($0.name, $0.rule) }),
            maxTokens: experiment.evalMaxTokens, batchSize: experiment.evalBatchSize,
            endOfSequence: loaded.tokenizer.endOfGenerationIds, decoder: loaded.tokenizer,
            score: { task, requests in
                guard let t = names.firstIndex(of: task) else { return requests.map { _ in nil } }
                return await rewards[t].score(requests.map {
                    RewardItem(prompt: $0.prompt, completion: $0.completion, reference: $0.reference, metadata: $0.metadata)
                }).map { $0.value }
            })

        let baseline = try await baselineResults(outDir, evaluator: evaluator, loaded: loaded, progress: progress)
        if baselineOnly { return }
        let cellDir = (outDir as NSString).appendingPathComponent("cells")
        for (index, (method, seed)) in selected.enumerated() {
            let cell = ExperimentCell(config: experiment, method: method, seed: seed, loaded: loaded, codec: codec,
                                      stream: tasks.stream(seed: seed), rewards: rewards, evaluator: evaluator,
                                      baseline: baseline.items, directory: cellDir,
                                      progress: { progress.say("[\(index + 1)/\(selected.count)] \($0)") })
            if try ExperimentFiles.readObject(cell.resultPath) != nil {
                progress.say("[\(index + 1)/\(selected.count)] \(cell.name): done before, skipped")
                continue
            }
            let start = ContinuousClock.now
            do { _ = try await cell.run() } catch {
                // Finished cells are kept; --resume continues from this one.
                throw ExperimentError("cell \(cell.name) failed: \(error); finished cells are in \(cellDir), rerun with --resume")
            }
            progress.cellDone(seconds: start.elapsedSeconds)
        }
        withExtendedLifetime(judge) {}

        var cells: [[String: Any]] = []
        for (method, seed) in experiment.cells {
            let path = (cellDir as NSString).appendingPathComponent("\(method.name)-seed\(seed).json")
            if let result = try ExperimentFiles.readObject(path) { cells.append(result) }
        }
        let summary = ExperimentSummary.make(config: experiment, baseline: baseline.object, cells: cells)
        let summaryPath = (outDir as NSString).appendingPathComponent("summary.json")
        try ExperimentFiles.writeAtomically(try ExperimentFiles.json(summary), to: summaryPath)
        progress.say("summary: \(summaryPath) (\(cells.count) of \(experiment.cells.count) cells done)")
        if !noReport { try runReport(outDir) }
    }

    /// The cells to run now, in order; `--only` names must match configured methods or cells.
    func selectedCells(_ experiment: ExperimentConfig) throws -> [(method: ExperimentConfig.Method, seed: UInt64)] {
        guard let only else { return experiment.cells }
        let wanted = only.split(separator: ",").map { String($0) }
        let chosen = experiment.cells.filter { wanted.contains($0.method.name) || wanted.contains("\($0.method.name)-seed\($0.seed)") }
        for name in wanted where !experiment.cells.contains(where: { $0.method.name == name || "\($0.method.name)-seed\($0.seed)" == name }) {
            throw ValidationError("--only: no method or cell named '\(name)' in \(config)")
        }
        return chosen
    }

    /// Creates the output directory, or checks that the existing one was made by this same config.
    func prepareOutput(_ dir: String, canonicalConfig: String) throws {
        let path = (dir as NSString).appendingPathComponent("config.json")
        if let existing = FileManager.default.contents(atPath: path) {
            guard resume else {
                throw ValidationError("\(dir) already holds an experiment: pass --resume to continue it, or choose another --out")
            }
            guard let old = try? JSONValue.parse(Array(existing)).text, old == canonicalConfig else {
                throw ValidationError("\(dir) was made with a different config; use another --out (finished cells would not be comparable)")
            }
            return
        }
        try ExperimentFiles.writeAtomically(Data(canonicalConfig.utf8), to: path)
    }

    /// The starting model's evaluation, computed once per output directory and reused (it is deterministic).
    func baselineResults(_ dir: String, evaluator: Evaluator, loaded: LoadedModel,
                         progress: Progress) async throws -> (items: [EvaluatedCompletion], object: [String: Any]) {
        let path = (dir as NSString).appendingPathComponent("baseline.json")
        if let saved = try ExperimentFiles.readObject(path), let data = FileManager.default.contents(atPath: path) {
            struct Saved: Decodable { let items: [EvaluatedCompletion] }
            if let items = try? JSONDecoder().decode(Saved.self, from: data).items, items.count == evaluator.prompts.count {
                progress.say("baseline: reused \(path)")
                return (items, saved)
            }
            throw ExperimentError("\(path) does not match the evaluation set; delete it to recompute")
        }
        progress.say("baseline: evaluating the starting model on \(evaluator.prompts.count) held-out prompts")
        let start = ContinuousClock.now
        let items = try await evaluator.run(policy: loaded.model)
        var object = ExperimentCell.evalObject(step: 0, items: items, baseline: items,
                                               seconds: start.elapsedSeconds)
        object["items"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(items))
        try ExperimentFiles.writeAtomically(try ExperimentFiles.json(object), to: path)
        let s = EvaluationSummary(items)
        progress.say(String(format: "baseline: success %.3f, mean reward %.3f (%.1f s)", s.successRate ?? .nan,
                            s.meanReward ?? .nan, object["seconds"] as? Double ?? 0))
        for (task, t) in EvaluationSummary.byTask(items) {
            progress.say(String(format: "  %@: success %.3f, mean reward %.3f, %d prompts, %d failures", task,
                                t.successRate ?? .nan, t.meanReward ?? .nan, t.prompts, t.failures))
        }
        return (items, object)
    }

    /// Runs the report script on the output directory; its failure is this command's failure.
    func runReport(_ dir: String) throws {
        let reportPath = report ?? (dir as NSString).appendingPathComponent("report.md")
        let python = underRoot(self.python), script = underRoot("tools/experiment/report.py")
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ExperimentError("no Python at \(python): run tools/experiment/make-venv.sh (or pass --python), then "
                + "\(script) --run \(dir) --report \(reportPath); the results are in \(dir)")
        }
        let status = try ChildProcess.run([python, script, "--run", dir, "--report", reportPath])
        guard status == 0 else { throw ExperimentError("report.py exited with status \(status); the results are in \(dir)") }
    }
}

/// Progress lines on stderr with elapsed time, and an estimate of the time left from the cells finished so far.
final class Progress: @unchecked Sendable {
    let total: Int
    let start = ContinuousClock.now
    private var done = 0
    private var cellSeconds = 0.0

    init(total: Int) { self.total = total }

    func say(_ text: String) {
        let elapsed = start.elapsedSeconds
        FileHandle.standardError.write(Data(String(format: "[%6.0f s] %@\n", elapsed, text).utf8))
    }

    func cellDone(seconds: Double) {
        done += 1
        cellSeconds += seconds
        let left = Double(total - done) * cellSeconds / Double(done)
        say(String(format: "cell done in %.0f s; %d of %d run here; about %.0f min left", seconds, done, total, left / 60))
    }
}
