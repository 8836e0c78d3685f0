import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a child program to completion with posix_spawn + waitpid (Foundation's Process.waitUntilExit can hang
/// when called from async code on Linux). The child inherits stdout and stderr.
enum ChildProcess {
    /// Exit status of `argv` (argv[0] looked up in PATH); a signal death is reported as 128 + signal.
    static func run(_ argv: [String]) throws -> Int32 {
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, argv[0], nil, nil, &cArgs, environ)
        guard rc == 0 else { throw ExperimentError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { throw ExperimentError("waitpid \(argv[0]): \(String(cString: strerror(errno)))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
