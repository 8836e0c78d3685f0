import API
import ArgumentParser
import Foundation
import HTTP
import LinearAlgebra
import Llama
import Logging
import Sockets
import Synchronization
import Tokenization

/// `grao bench-api`: what the HTTP API costs on top of the engine, one JSON line per figure (scripts/bench-api.sh).
/// In one process and one run: the model is loaded once, the API is served on a loopback port (with a scratch data
/// directory), and (1) `POST /v1/generate` for P prompts × G samples is timed against the same groups generated
/// directly on the engine (same seed, so the same tokens: the same work), (2) `POST /v1/groups` (generate, score
/// with a built-in rule, advantages, store) likewise against the engine generating the same groups
/// (`BenchAPICommand+Groups.swift`), (3) `/healthz` requests/s (wrk) with the engine idle, while it decodes
/// continuously, and while a real training run started over `POST /v1/runs` is taking its steps
/// (`BenchAPICommand+Run.swift`). Release builds only; never a test.
struct BenchAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-api", abstract: "Measure the HTTP API's overhead over the engine and /healthz under load (JSON lines).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Prompts per request.") var prompts = 4
    @Option(help: "Samples per prompt (G).") var group = 8
    @Option(help: "Most tokens generated per sample.")
    var maxTokens = 64
    @Option(help: "Repetitions of each timing; medians are reported.") var repetitions = 5
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "wrk duration for the /healthz figures, seconds.") var wrkSeconds = 5
    @Option(help: "wrk connections.") var wrkConnections = 64

    func run() async throws {
        BLAS.threadCount = threads
        let loaded = try modelOptions.loadModel()
        let template = try? ChatTemplate(gguf: loaded.file)
        let info = ModelInfo(config: loaded.model.config, tokenizer: loaded.tokenizer, chatTemplate: template,
                             name: "bench", path: modelOptions.model)
        let model = loaded.model
        let engine = ComputeEngine { EngineContext(info: info, model: model) }
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let data = NSTemporaryDirectory() + "grao-bench-api-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let state = try ServerState(dataDirectory: data, logger: quiet)
        let api = APIServer(configuration: .init(dataDirectory: data), engine: engine, logger: quiet, state: state)
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: 1024),
                                router: api.makeRoutes().router, logger: quiet)
        let port = try server.start()
        defer { engine.stop() }

        let texts = ["Write a haiku about the sea.", "What is the capital of France?", "Explain gravity to a child.",
                     "List three prime numbers."]
        let promptTexts = (0..<prompts).map { texts[$0 % texts.count] }
        let body = try JSONSerialization.data(withJSONObject: [
            "prompts": promptTexts, "chat": true, "group_size": group, "max_tokens": maxTokens, "temperature": 0.7, "seed": 42,
        ] as [String: Any])
        // The engine-side twin of that body: the same token ids, sampling and seed.
        guard let template else { throw ValidationError("the model has no usable chat template") }
        let requests = promptTexts.map { text -> GenerationRequest in
            let rendered = template.render([ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
            return GenerationRequest(prompt: loaded.tokenizer.encode(rendered, parseSpecial: true), sampleCount: group,
                                     maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0.7), seed: 42)
        }

        var direct: [Double] = [], overHTTP: [Double] = [], viaModel: [Double] = []
        var directTokens = 0, httpTokens = 0
        for _ in 0..<repetitions {
            // Alternate, so drift in machine load touches all alike. The anchor is the engine's own generation
            // path (`engine.generate`: queue, continuous-batching session) called in process; the HTTP figure adds
            // only what the API adds (parsing, tokenizing, JSON, sockets). `LlamaModel.generate` on the engine
            // thread is reported beside them for reference.
            let start = ContinuousClock.now
            let groups = try await engine.generate(requests)
            direct.append(start.elapsedSeconds)
            directTokens = groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.tokens.count } }
            viaModel.append(try await engine.run { context -> Double in
                let start = ContinuousClock.now
                _ = try context.policy.generate(requests, endOfSequence: context.info.endOfSequence, decoder: context.info.tokenizer)
                return start.elapsedSeconds
            })
            let payload = [UInt8](body)
            let (httpSeconds, completionTokens) = try await Self.onThread { () throws -> (Double, Int) in
                let start = ContinuousClock.now
                let response = try Self.post(port: port, path: "/v1/generate", body: payload)
                return (start.elapsedSeconds, (response["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? -1)
            }
            overHTTP.append(httpSeconds)
            httpTokens = completionTokens
        }
        let directMedian = Self.median(direct), httpMedian = Self.median(overHTTP)
        try Self.emit(["figure": "api_generate_overhead", "prompts": prompts, "group": group, "max_tokens": maxTokens,
                       "engine_direct_seconds": directMedian, "http_seconds": httpMedian,
                       "model_generate_seconds": Self.median(viaModel), "model_all": viaModel,
                       "overhead_fraction": httpMedian / directMedian - 1,
                       "direct_tokens": directTokens, "http_tokens": httpTokens, "same_tokens": directTokens == httpTokens,
                       "repetitions": repetitions, "direct_all": direct, "http_all": overHTTP])

        try await groupsOverhead(port: port, engine: engine, template: template, tokenizer: loaded.tokenizer)

        // /healthz with the engine idle, then while it decodes without pause, then during a training run.
        let (wrkSeconds, wrkConnections) = (wrkSeconds, wrkConnections)
        let idle = try await Self.onThread { try Self.wrk(port: port, seconds: wrkSeconds, connections: wrkConnections) }
        try Self.emit(["figure": "healthz_engine_idle", "requests_per_s": idle.rate, "p99_ms": idle.p99,
                       "connections": wrkConnections, "seconds": wrkSeconds])
        let busy = ManagedFlag()
        let background = Task {
            while !busy.isSet {
                _ = try await engine.generate(requests)
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let loaded_ = try await Self.onThread { try Self.wrk(port: port, seconds: wrkSeconds, connections: wrkConnections) }
        let engineBusy = engine.counters.running
        busy.set()
        _ = try? await background.value
        try Self.emit(["figure": "healthz_engine_busy", "requests_per_s": loaded_.rate, "p99_ms": loaded_.p99,
                       "ratio_to_idle": loaded_.rate / idle.rate, "engine_was_busy": engineBusy,
                       "connections": wrkConnections, "seconds": wrkSeconds])
        try await healthzDuringRun(port: port, engine: engine, idleRate: idle.rate)
        server.shutdown(gracePeriod: .seconds(2))
        await server.waitUntilStopped()
    }
}

/// A flag one task sets and another polls.
final class ManagedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
