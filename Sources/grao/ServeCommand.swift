import API
import ArgumentParser
import Dispatch
import Foundation
import HTTP
import LinearAlgebra
import Llama
import Logging
import Tokenization
import Sockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `grao serve`: runs the HTTP API until SIGINT or SIGTERM, then shuts down gracefully. The model loads on the
/// engine thread after the server is listening: `/healthz` answers at once, `/readyz` says 503 until it is loaded.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP API server.")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Data directory: checkpoints, run logs, registered judges.")
    var data = "data"

    @Option(help: "OpenBLAS threads for the model.")
    var threads = 2

    @Option(help: "File holding the API key every /v1 route requires (else the GRAO_API_KEY environment variable).")
    var apiKeyFile: String?

    @Flag(help: "Allow listening on a non-loopback address without an API key.")
    var insecure = false

    @Option(name: .customLong("allow-judge-host"),
            help: "A host remote judges may be at (repeat for several); without any, judges may be anywhere.")
    var allowJudgeHosts: [String] = []

    @Option(help: "Model jobs that may wait; more get 503 with Retry-After.")
    var queueLimit = 64

    @Option(help: "Most new tokens one sample may ask for.")
    var maxNewTokens = 1024

    @Option(help: "Most samples per prompt (n, group_size).")
    var maxGroupSize = 64

    @Option(help: "Most prompt tokens in one request (all its prompts together).")
    var maxPromptTokens = 32_768

    @Option(help: "Address to listen on (IPv4/IPv6 literal or localhost).")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Largest request body in bytes; larger ones get 413.")
    var maxBodyBytes = 4 * 1024 * 1024

    @Option(help: "Connections served at once; more get 503 and are closed.")
    var maxConnections = 16_384

    @Option(help: "Seconds from a request's first byte to the end of its headers (408 after).")
    var headerTimeout = 10.0

    @Option(help: "Seconds from the end of the headers to the end of the body (408 after).")
    var bodyTimeout = 30.0

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout = 60.0

    @Option(help: "Seconds a response may wait for the client to read before the connection closes.")
    var writeTimeout = 30.0

    @Option(help: "Seconds in-flight requests get to finish after SIGINT/SIGTERM.")
    var shutdownGrace = 10.0

    @Option(help: "Log level: trace, debug, info (access log), notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        do {
            _ = try SocketAddress(host: host, port: 0)
        } catch {
            throw ValidationError("--host must be an IPv4 or IPv6 address literal or localhost, got '\(host)'")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard (0...(1 << 30)).contains(maxBodyBytes) else {
            throw ValidationError("--max-body-bytes must be 0...\(1 << 30), got \(maxBodyBytes)")
        }
        guard (1...1_000_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be 1...1000000, got \(maxConnections)")
        }
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout),
                              ("--write-timeout", writeTimeout), ("--shutdown-grace", shutdownGrace)] {
            guard value.isFinite, value > 0, value <= 86_400 else {
                throw ValidationError("\(name) must be a number of seconds in (0, 86400], got \(value)")
            }
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1...256, got \(threads)") }
        guard (1...100_000).contains(queueLimit) else { throw ValidationError("--queue-limit must be 1...100000, got \(queueLimit)") }
        guard (1...1_000_000).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be 1...1000000, got \(maxNewTokens)") }
        guard (1...10_000_000).contains(maxPromptTokens) else {
            throw ValidationError("--max-prompt-tokens must be 1...10000000, got \(maxPromptTokens)")
        }
        guard (1...1024).contains(maxGroupSize) else { throw ValidationError("--max-group-size must be 1...1024, got \(maxGroupSize)") }
        if try readAPIKey() == nil && !Self.isLoopback(host) && !insecure {
            throw ValidationError("refusing to listen on \(host) without an API key: pass --api-key-file or set GRAO_API_KEY "
                                  + "(or --insecure to serve an open API on the network)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let sink = BatchedStderr()
        LoggingSystem.bootstrap { label in BatchedLogHandler(label: label, level: level, sink: sink) }
        let logger = Logger(label: "grao")
        let key = try readAPIKey()
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        BLAS.threadCount = threads
        let modelOptions = modelOptions
        _ = try modelOptions.openFile()  // a missing file is a start-up error, not a 503 forever
        let engine = ComputeEngine(limits: .init(queueCapacity: queueLimit)) {
            let start = ContinuousClock.now
            let loaded = try modelOptions.loadModel()
            let template: ChatTemplate?
            do { template = try ChatTemplate(gguf: loaded.file) } catch {
                logger.warning("no usable chat template; chat routes will answer 400", metadata: ["reason": "\(error)"])
                template = nil
            }
            let name = URL(fileURLWithPath: modelOptions.model).deletingPathExtension().lastPathComponent
            let info = ModelInfo(config: loaded.model.config, tokenizer: loaded.tokenizer, chatTemplate: template,
                                 name: name, path: modelOptions.model)
            logger.notice("model loaded", metadata: ["model": "\(name)", "seconds": "\(ContinuousClock.now - start)"])
            return EngineContext(info: info, model: loaded.model)
        }
        let state: ServerState
        do {
            state = try ServerState(dataDirectory: data, options: .init(allowedJudgeHosts: allowJudgeHosts.isEmpty ? nil : allowJudgeHosts,
                                                   likelihoodScorer: EngineLikelihoodScorer(engine: engine)),
                                    logger: logger)
        } catch { throw ValidationError("data directory '\(data)': \(error)") }
        let api = APIServer(configuration: .init(apiKey: key, dataDirectory: data,
                                                 limits: .init(maxGroupSize: maxGroupSize, maxNewTokens: maxNewTokens,
                                                               maxPromptTokens: maxPromptTokens)),
                            engine: engine, logger: logger, state: state)
        let server = HTTPServer(configuration: serverConfiguration(), router: api.makeRoutes().router, logger: logger)
        let boundPort: UInt16
        do {
            boundPort = try server.start()
        } catch {
            throw ValidationError("cannot start the server: \(error)")
        }
        logger.notice("grao serving", metadata: ["address": "\(host):\(boundPort)", "pid": "\(getpid())"])
        let signals = Self.onTerminationSignals { count in
            logger.notice("signal received, shutting down", metadata: ["grace_seconds": "\(count == 1 ? shutdownGrace : 0)"])
            // An active run ends now, recorded interrupted: its followers get the end event (their streams close
            // instead of holding the drain for the whole grace period).
            if count == 1 { Task { await state.runs.interruptAll(reason: Self.stopReason) } }
            server.shutdown(gracePeriod: count == 1 ? .milliseconds(Int64(shutdownGrace * 1000)) : .zero)
        }
        await server.waitUntilStopped()
        // Again, awaited: the run is on disk as interrupted before the process leaves (a no-op when done above).
        await state.runs.interruptAll(reason: Self.stopReason)
        engine.stop()
        withExtendedLifetime(signals) {}
        logger.notice("grao stopped")
        sink.flush()
        // Leave without running exit handlers: OpenBLAS's (gotoblas_quit) joins its worker threads and was seen
        // to deadlock there when the engine thread had been mid-computation (a training run's step), leaving a
        // SIGTERMed server hung forever. Every write to the data directory is already fsynced; nothing is lost.
        _exit(0)
    }

    func serverConfiguration() -> HTTPServerConfiguration {
        func seconds(_ value: Double) -> Duration { .milliseconds(Int64((value * 1000).rounded())) }
        return HTTPServerConfiguration(
            host: host, port: UInt16(port),
            limits: HTTPParserLimits(maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            timeouts: HTTPTimeouts(header: seconds(headerTimeout), body: seconds(bodyTimeout), idle: seconds(idleTimeout),
                                   write: seconds(writeTimeout)),
            cancelsHandlersOnPeerClose: true)
    }

    /// The key from `--api-key-file`, else from `GRAO_API_KEY`, else none.
    func readAPIKey() throws -> APIKey? {
        let text: String
        if let apiKeyFile {
            do { text = try String(contentsOfFile: apiKeyFile, encoding: .utf8) } catch {
                throw ValidationError("--api-key-file \(apiKeyFile): cannot read it (\(error.localizedDescription))")
            }
        } else if let fromEnvironment = ProcessInfo.processInfo.environment["GRAO_API_KEY"], !fromEnvironment.isEmpty {
            text = fromEnvironment
        } else {
            return nil
        }
        do { return try APIKey(text) } catch { throw ValidationError("\(apiKeyFile.map { "--api-key-file \($0)" } ?? "GRAO_API_KEY"): \(error)") }
    }

    /// What an active run records as the reason of its interruption when the server stops.
    static let stopReason = "the server stopped (SIGINT/SIGTERM) during the run"

    /// Whether `host` only accepts connections from this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Routes SIGINT and SIGTERM to `handler` (with how many have arrived) instead of killing the process.
    static func onTerminationSignals(_ handler: @escaping @Sendable (Int) -> Void) -> [any DispatchSourceSignal] {
        let counter = SignalCounter()
        return [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { handler(counter.next()) }
            source.resume()
            return source
        }
    }
}

/// Counts termination signals: the first drains gracefully, a second one stops at once.
private final class SignalCounter: Sendable {
    private let count = Atomic<Int>(0)
    func next() -> Int { count.add(1, ordering: .relaxed).newValue }
}
