import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Waiting for children started with Foundation's `Process` without `waitUntilExit()`: that call spins a
/// run loop which, on Linux, can miss the child's exit when it runs on a Swift concurrency thread, and with
/// two such threads on a 2-core machine the whole test run hung (seen twice in one session). `waitpid` cannot
/// miss it.
public enum ProcessExit {
    /// Blocks this thread until `process` exits; returns its exit code, or 128 + signal when a signal ended it.
    public static func wait(for process: Process) -> Int32 {
        let pid = process.processIdentifier
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            if result == -1 && errno == EINTR { continue }
            // ECHILD: Foundation's own SIGCHLD handling reaped the child first and recorded its status.
            while process.isRunning { usleep(1_000) }
            return process.terminationStatus
        }
    }
}
