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
/// In one process and one run: the model is loaded once, the API is served on a loopback port, and
/// (1) `POST /v1/generate` for P prompts × G samples is timed against the same groups generated directly on the
/// engine (same seed, so the same tokens: the same work), (2) `/healthz` requests/s (wrk) are measured with the
/// engine idle and again while it decodes continuously. Release builds only; never a test.
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
        let api = APIServer(configuration: .init(dataDirectory: NSTemporaryDirectory()), engine: engine, logger: quiet)
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

        var direct: [Double] = [], overHTTP: [Double] = []
        var directTokens = 0, httpTokens = 0
        for _ in 0..<repetitions {
            // Alternate, so drift in machine load touches both alike.
            let (seconds, tokens) = try await engine.run { context -> (Double, Int) in
                let start = ContinuousClock.now
                let groups = try context.policy.generate(requests, endOfSequence: context.info.endOfSequence,
                                                         decoder: context.info.tokenizer)
                return (Self.seconds(since: start), groups.reduce(0) { $0 + $1.reduce(0) { $0 + $1.tokens.count } })
            }
            direct.append(seconds)
            directTokens = tokens
            let payload = [UInt8](body)
            let (httpSeconds, completionTokens) = try await Self.onThread { () throws -> (Double, Int) in
                let start = ContinuousClock.now
                let response = try Self.post(port: port, path: "/v1/generate", body: payload)
                return (Self.seconds(since: start), (response["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? -1)
            }
            overHTTP.append(httpSeconds)
            httpTokens = completionTokens
        }
        let directMedian = Self.median(direct), httpMedian = Self.median(overHTTP)
        try Self.emit(["figure": "api_generate_overhead", "prompts": prompts, "group": group, "max_tokens": maxTokens,
                       "engine_direct_seconds": directMedian, "http_seconds": httpMedian,
                       "overhead_fraction": httpMedian / directMedian - 1,
                       "direct_tokens": directTokens, "http_tokens": httpTokens, "same_tokens": directTokens == httpTokens,
                       "repetitions": repetitions, "direct_all": direct, "http_all": overHTTP])

        // /healthz with the engine idle, then while it decodes without pause.
        let idle = try Self.wrk(port: port, seconds: wrkSeconds, connections: wrkConnections)
        try Self.emit(["figure": "healthz_engine_idle", "requests_per_s": idle.rate, "p99_ms": idle.p99,
                       "connections": wrkConnections, "seconds": wrkSeconds])
        let busy = ManagedFlag()
        let background = Task {
            while !busy.isSet {
                _ = try await engine.generate(requests)
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let loaded_ = try Self.wrk(port: port, seconds: wrkSeconds, connections: wrkConnections)
        let engineBusy = engine.counters.running
        busy.set()
        _ = try? await background.value
        try Self.emit(["figure": "healthz_engine_busy", "requests_per_s": loaded_.rate, "p99_ms": loaded_.p99,
                       "ratio_to_idle": loaded_.rate / idle.rate, "engine_was_busy": engineBusy,
                       "connections": wrkConnections, "seconds": wrkSeconds])
        server.shutdown(gracePeriod: .seconds(2))
        await server.waitUntilStopped()
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// One JSON line, with the 1-minute load average (above ~0.5, other processes shared the cores).
    static func emit(_ fields: [String: Any]) throws {
        var fields = fields
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first
        fields["load_average_1m"] = load.flatMap { Double($0) } ?? -1
        try printJSON(fields)
    }

    /// A blocking POST over a fresh connection; the response body as a JSON object.
    static func post(port: UInt16, path: String, body: [UInt8]) throws -> [String: Any] {
        let socket = try Socket.makeConnected(to: SocketAddress(host: "127.0.0.1", port: port))
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 600)
        let head = "POST \(path) HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ValidationError("send failed") }
            offset += sent
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data += buffer[..<count]
        }
        guard let split = data.firstRange(of: Array("\r\n\r\n".utf8)), data.starts(with: Array("HTTP/1.1 200".utf8)) else {
            throw ValidationError("bench request failed: \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return (try JSONSerialization.jsonObject(with: Data(data[split.upperBound...]))) as? [String: Any] ?? [:]
    }

    /// Runs wrk against /healthz; requests/s and p99 latency in ms.
    static func wrk(port: UInt16, seconds: Int, connections: Int) throws -> (rate: Double, p99: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wrk", "-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "http://127.0.0.1:\(port)/healthz"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        func number(after label: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return line.split(separator: " ").dropFirst().compactMap { part -> Double? in
                let s = part.trimmingCharacters(in: .whitespaces)
                if s.hasSuffix("ms") { return Double(s.dropLast(2)) }
                if s.hasSuffix("us") { return Double(s.dropLast(2)).map { $0 / 1000 } }
                if s.hasSuffix("s") { return Double(s.dropLast()).map { $0 * 1000 } }
                return Double(s)
            }.first
        }
        guard let rate = number(after: "Requests/sec:") else { throw ValidationError("wrk output not understood:\n\(text)") }
        return (rate, number(after: " 99%") ?? -1)
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.start()
        }
    }
}

/// A flag one task sets and another polls.
final class ManagedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
