import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The judge to kill when the process is interrupted (read by a signal handler, hence a plain global).
nonisolated(unsafe) private var judgeServerPid: pid_t = 0

/// A judge server started for the length of an experiment (e.g. examples/judges/judge_server.py): spawned with
/// `--port 0` appended, it must print one JSON line `{"port": N}`; it is killed when the experiment ends.
/// posix_spawn rather than Foundation's Process, whose waitUntilExit can hang on Linux from async code.
final class JudgeServer: @unchecked Sendable {
    let pid: pid_t
    let port: Int
    private let output: Int32
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `command` (argv; looked up in PATH) and waits up to `timeout` seconds for its port line.
    init(command: [String], timeout: Double = 30) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ExperimentError("judge server: pipe failed (errno \(errno))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv = ["/usr/bin/env"] + command + ["--port", "0"]
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, &cArgs, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ExperimentError("judge server \(command.joined(separator: " ")): posix_spawn failed (\(rc))")
        }
        pid = child
        output = fds[0]
        var line: [UInt8] = []
        var byte: UInt8 = 0
        var poll = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while line.count < 256 {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard left > 0, Glibc.poll(&poll, 1, left) == 1, read(output, &byte, 1) == 1, byte != UInt8(ascii: "\n") else { break }
            line.append(byte)
        }
        struct Hello: Decodable { let port: Int }
        guard let hello = try? JSONDecoder().decode(Hello.self, from: Data(line)), (1...65535).contains(hello.port) else {
            Self.stop(child)
            close(output)
            throw ExperimentError("judge server \(command.joined(separator: " ")) did not print {\"port\": N} within "
                + "\(Int(timeout)) s; it printed: \(String(decoding: line, as: UTF8.self))")
        }
        port = hello.port
        Self.killOnInterrupt(child)
    }

    /// A run stopped with Ctrl-C or `kill` takes its judge down with it (deinit does not run then). The handler
    /// only calls async-signal-safe functions.
    private static func killOnInterrupt(_ pid: pid_t) {
        judgeServerPid = pid
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { sig in
                if judgeServerPid > 0 { kill(judgeServerPid, SIGKILL) }
                _exit(128 + sig)
            }
        }
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    deinit {
        if judgeServerPid == pid { judgeServerPid = 0 }
        Self.stop(pid)
        close(output)
    }
}
