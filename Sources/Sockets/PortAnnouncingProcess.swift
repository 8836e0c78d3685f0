import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child server that picks its own port and says which: spawned with `/usr/bin/env argv`, it must print one JSON
/// line `{"port": N}` on stdout first. The example judge works this way, and both `grao experiment` and the tests
/// start it, so the spawning lives here once. posix_spawn rather than Foundation's Process, whose waitUntilExit
/// can hang on Linux when called from async code. The child is killed (SIGKILL: a test runner may hand its
/// children an ignored SIGTERM) and reaped when this object goes away.
public final class PortAnnouncingProcess: @unchecked Sendable {
    public let pid: pid_t
    public let port: Int
    private let output: Int32

    /// Starts `argv` (looked up in PATH) and blocks up to `timeout` seconds for its port line.
    public init(_ argv: [String], timeout: Double = 30) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SocketError(call: "pipe", errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var cArgs = (["/usr/bin/env"] + argv).map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, &cArgs, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SocketError(call: "posix_spawn", errno: rc, detail: argv.joined(separator: " "))
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        var poll = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while line.count < 256 {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard left > 0, Glibc.poll(&poll, 1, left) == 1, read(fds[0], &byte, 1) == 1, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        struct Hello: Decodable { let port: Int }
        guard let hello = try? JSONDecoder().decode(Hello.self, from: Data(line)), (1...65535).contains(hello.port) else {
            Self.stop(child)
            close(fds[0])
            throw SocketError(call: "port announcement", errno: 0,
                              detail: "\(argv.joined(separator: " ")) did not print {\"port\": N} within \(Int(timeout)) s; "
                                  + "it printed: \(String(decoding: line, as: UTF8.self))")
        }
        pid = child
        port = hello.port
        output = fds[0]
    }

    /// Kills and reaps a child (also usable from a path where no object exists).
    public static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    deinit {
        Self.stop(pid)
        close(output)
    }
}
