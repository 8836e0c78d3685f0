import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small durable file writes for state on disk (DESIGN.md §7): `write` replaces a file so that a crash leaves
/// the old content or the new, never a mix (temp file, fsync, rename, directory fsync); `append` adds one
/// record and fsyncs it before returning.
public enum AtomicFile {
    /// Replaces `path` with `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try writeAndSync(data, to: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
            guard rename(temporary, path) == 0 else { throw failure("rename '\(temporary)' -> '\(path)'") }
            try syncDirectory(directory.isEmpty ? "." : directory)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Appends `data` to `path` (created if missing) and fsyncs it.
    public static func append(_ data: Data, to path: String) throws {
        try writeAndSync(data, to: path, flags: O_WRONLY | O_CREAT | O_APPEND)
    }

    static func writeAndSync(_ data: Data, to path: String, flags: Int32) throws {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open '\(path)'") }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("write '\(path)'")
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw failure("fsync '\(path)'") }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory '\(path)'") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory '\(path)'") }
    }

    static func failure(_ what: String) -> AlignmentError {
        .invalidTraining("\(what): \(String(cString: strerror(errno)))")
    }
}
