import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// The judge to kill when the process is interrupted (read by a signal handler, hence a plain global).
nonisolated(unsafe) private var judgeServerPid: pid_t = 0

/// A judge server started for the length of an experiment (e.g. examples/judges/judge_server.py): spawned with
/// `--port 0` appended, it must print one JSON line `{"port": N}`; it is killed when the experiment ends.
final class JudgeServer: @unchecked Sendable {
    private let process: PortAnnouncingProcess
    var pid: pid_t { process.pid }
    var port: Int { process.port }
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `command` (argv; looked up in PATH) and waits up to `timeout` seconds for its port line.
    init(command: [String], timeout: Double = 30) throws {
        do { process = try PortAnnouncingProcess(command + ["--port", "0"], timeout: timeout) } catch {
            throw ExperimentError("judge server \(command.joined(separator: " ")): \(error)")
        }
        Self.killOnInterrupt(process.pid)
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

    deinit {
        if judgeServerPid == process.pid { judgeServerPid = 0 }
    }
}
