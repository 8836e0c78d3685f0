import Glibc
import Testing
@testable import Sockets

@Suite struct PortAnnouncingProcessTests {
    @Test func readsTheAnnouncedPortAndKillsTheChildWhenReleased() throws {
        var process: PortAnnouncingProcess? = try PortAnnouncingProcess(["sh", "-c", #"echo '{"port": 4321}'; sleep 60"#])
        let pid = process!.pid
        #expect(process!.port == 4321)
        #expect(kill(pid, 0) == 0)
        process = nil
        // Reaped by deinit: the pid no longer names our child.
        #expect(kill(pid, 0) == -1)
    }

    @Test func aChildThatAnnouncesNothingUsableIsAnErrorNamingWhatItPrinted() {
        #expect {
            _ = try PortAnnouncingProcess(["sh", "-c", "echo hello; sleep 60"], timeout: 5)
        } throws: { error in
            "\(error)".contains("did not print {\"port\": N}") && "\(error)".contains("it printed: hello")
        }
        #expect {
            _ = try PortAnnouncingProcess(["sh", "-c", #"echo '{"port": 70000}'"#], timeout: 5)
        } throws: { error in "\(error)".contains("70000") }
    }
}
