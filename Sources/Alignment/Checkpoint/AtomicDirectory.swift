import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a directory of files so that a crash leaves either the old complete set or the new one:
/// files are written into `<dir>.tmp-<pid>` and fsynced, the old directory (if any) is renamed aside, the new
/// one renamed into place, the parent fsynced, and the old one removed.
enum AtomicDirectory {
    static func write(_ files: [(name: String, data: Data)], to directory: String) throws {
        let fm = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        let pid = ProcessInfo.processInfo.processIdentifier
        let temporary = directory + ".tmp-\(pid)", old = directory + ".old-\(pid)"
        do {
            if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try? fm.removeItem(atPath: temporary)
            try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            for (name, data) in files {
                let path = (temporary as NSString).appendingPathComponent(name)
                guard fm.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw AlignmentError.invalidTraining("cannot create '\(path)'")
                }
                try handle.write(contentsOf: data)
                try handle.synchronize()  // fsync
                try handle.close()
            }
            try fsyncDirectory(temporary)
            var exists: ObjCBool = false
            let hadOld = fm.fileExists(atPath: directory, isDirectory: &exists)
            if hadOld { try fm.moveItem(atPath: directory, toPath: old) }
            guard rename(temporary, directory) == 0 else {
                let message = String(cString: strerror(errno))
                if hadOld { try? fm.moveItem(atPath: old, toPath: directory) }
                throw AlignmentError.invalidTraining("rename '\(temporary)' -> '\(directory)': \(message)")
            }
            try fsyncDirectory(parent.isEmpty ? "." : parent)
            if hadOld { try? fm.removeItem(atPath: old) }
        } catch let error as AlignmentError {
            try? fm.removeItem(atPath: temporary)
            throw error
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw AlignmentError.invalidTraining("writing checkpoint '\(directory)': \(error)")
        }
    }

    private static func fsyncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw AlignmentError.invalidTraining("open '\(path)' for fsync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AlignmentError.invalidTraining("fsync '\(path)': \(String(cString: strerror(errno)))") }
    }
}
