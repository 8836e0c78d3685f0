import Foundation
import Testing
@testable import grao

@Suite struct ServeCommandTests {
    @Test func defaultsAreLoopback8080() throws {
        let command = try ServeCommand.parse([])
        #expect(command.host == "127.0.0.1")
        #expect(command.port == 8080)
        let configuration = command.serverConfiguration()
        #expect(configuration.limits.maxBodyBytes == 4 * 1024 * 1024)
        #expect(configuration.timeouts.header == .seconds(10))
    }

    @Test(arguments: [
        (["--port", "70000"], "--port"),
        (["--host", "example.com"], "--host"),
        (["--port", "-1"], "--port"),
        (["--max-body-bytes", "-5"], "--max-body-bytes"),
        (["--max-connections", "0"], "--max-connections"),
        (["--header-timeout", "0"], "--header-timeout"),
        (["--idle-timeout", "nan"], "--idle-timeout"),
        (["--body-timeout", "-3"], "--body-timeout"),
        (["--log-level", "loud"], "--log-level"),
        (["--threads", "0"], "--threads"),
        (["--queue-limit", "0"], "--queue-limit"),
        (["--max-group-size", "5000"], "--max-group-size"),
        (["--host", "0.0.0.0"], "API key"),
        (["--api-key-file", "/nonexistent/key"], "--api-key-file"),
    ])
    func invalidOptionsAreRefusedByName(_ arguments: [String], _ option: String) {
        do {
            _ = try ServeCommand.parse(arguments)
            Issue.record("\(arguments) should be refused")
        } catch {
            #expect(ServeCommand.message(for: error).contains(option))
        }
    }

    @Test func optionsReachTheServerConfiguration() throws {
        let command = try ServeCommand.parse(["--port", "9000", "--max-body-bytes", "1024", "--max-connections", "50",
                                              "--header-timeout", "2.5", "--idle-timeout", "5"])
        let configuration = command.serverConfiguration()
        #expect(configuration.port == 9000)
        #expect(configuration.limits.maxBodyBytes == 1024)
        #expect(configuration.maxConnections == 50)
        #expect(configuration.timeouts.header == .milliseconds(2500))
        #expect(configuration.timeouts.idle == .seconds(5))
    }

    @Test func aNonLoopbackHostNeedsAKeyOrInsecure() throws {
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--host", "0.0.0.0"]) }
        _ = try ServeCommand.parse(["--host", "0.0.0.0", "--insecure"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("grao-key-\(UUID().uuidString)")
        try "0123456789abcdef0123\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try ServeCommand.parse(["--host", "0.0.0.0", "--api-key-file", file.path])
    }
}
