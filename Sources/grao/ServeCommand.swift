import ArgumentParser
import Dispatch
import Foundation
import HTTP
import Logging
import Sockets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `grao serve`: runs the HTTP server until SIGINT or SIGTERM, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

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
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(logLevel)'")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let sink = BatchedStderr()
        LoggingSystem.bootstrap { label in BatchedLogHandler(label: label, level: level, sink: sink) }
        let logger = Logger(label: "grao")
        let server = HTTPServer(configuration: serverConfiguration(), router: Self.makeRouter(), logger: logger)
        let boundPort: UInt16
        do {
            boundPort = try server.start()
        } catch {
            throw ValidationError("cannot start the server: \(error)")
        }
        logger.notice("grao serving", metadata: ["address": "\(host):\(boundPort)", "pid": "\(getpid())"])
        let signals = Self.onTerminationSignals { count in
            logger.notice("signal received, shutting down", metadata: ["grace_seconds": "\(count == 1 ? shutdownGrace : 0)"])
            server.shutdown(gracePeriod: count == 1 ? .milliseconds(Int64(shutdownGrace * 1000)) : .zero)
        }
        await server.waitUntilStopped()
        withExtendedLifetime(signals) {}
        logger.notice("grao stopped")
        sink.flush()
    }

    func serverConfiguration() -> HTTPServerConfiguration {
        func seconds(_ value: Double) -> Duration { .milliseconds(Int64((value * 1000).rounded())) }
        return HTTPServerConfiguration(
            host: host, port: UInt16(port),
            limits: HTTPParserLimits(maxBodyBytes: maxBodyBytes),
            maxConnections: maxConnections,
            timeouts: HTTPTimeouts(header: seconds(headerTimeout), body: seconds(bodyTimeout), idle: seconds(idleTimeout),
                                   write: seconds(writeTimeout)))
    }

    /// The routes `grao serve` answers for now: the health check, run inline on the event loop
    /// because it never waits on anything.
    static func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        let healthy = HTTPResponse.json(#"{"status":"ok"}"#)
        router.addInline(.GET, "/healthz") { _ in healthy }
        return router
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
