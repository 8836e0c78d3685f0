import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Durable single-file writes and removals for the API's stores (DESIGN.md §7): the bytes go to a hidden temporary file
/// next to the target, which is fsynced, renamed over the target, and the directory fsynced. A crash at any
/// moment leaves either the old complete file or the new one, never a torn one.
enum StateFile {
    /// A failed write or removal, naming the file and the system call.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Replaces `path` with `data`.
    static func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(".\(name).tmp-\(getpid())")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open", temporary) }
        var written = 0
        let ok = data.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return true
        }
        guard ok, fsync(fd) == 0 else {
            let error = failure(ok ? "fsync" : "write", temporary)
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename", path)
            unlink(temporary)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Removes `path` durably; a missing file is not an error.
    static func remove(_ path: String) throws {
        if unlink(path) != 0, errno != ENOENT { throw failure("unlink", path) }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Deletes temporary files a crashed writer left in `directory` (hidden `.*.tmp-*` names).
    static func removeLeftovers(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
            unlink((directory as NSString).appendingPathComponent(name))
        }
    }

    /// fsync on the directory makes the rename or unlink itself durable.
    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync", directory) }
    }

    private static func failure(_ call: String, _ path: String) -> Failure {
        Failure(description: "\(call) '\(path)': \(String(cString: strerror(errno)))")
    }
}
