import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File output of an experiment. Whole files are written atomically (temp file, fsync, rename), so a run cut short
/// never leaves a half-written result that `--resume` would trust; logs are JSONL appended line by line.
enum ExperimentFiles {
    /// JSON text of `value` with sorted keys; non-finite numbers become null (JSON has no NaN).
    static func json(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: sanitized(value), options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func sanitized(_ value: Any) -> Any {
        switch value {
        // Booleans first: a JSON boolean read back by JSONSerialization would otherwise cast to Double (1 or 0).
        case is Bool: return value
        case let d as Double: return d.isFinite ? d : NSNull()
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let a as [Any]: return a.map(sanitized)
        case let o as [String: Any]: return o.mapValues(sanitized)
        default: return value
        }
    }

    /// A value for a JSON object: the number, or null when absent.
    static func optional(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }

    /// Writes `data` to `path` so that readers see the old file or the complete new one.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else { throw ExperimentError("cannot create \(temporary)") }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ExperimentError("writing \(path): \(error)")
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw ExperimentError("rename \(temporary) -> \(path): \(why)")
        }
    }

    /// Reads a JSON object file, or nil when it does not exist; a file that exists but does not parse is an error.
    static func readObject(_ path: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ExperimentError("\(path) is not a JSON object (delete it to redo that part)")
        }
        return object
    }
}

/// A JSONL log opened for a fresh run of one cell (truncated: a cell cut short restarts from its first step).
final class JSONLLog {
    private let handle: FileHandle
    let path: String

    init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ExperimentError("cannot create \(path)")
        }
        handle = h
    }

    /// Appends one object as a line and flushes it to disk (a few lines a minute: the fsync is cheap).
    func append(_ object: [String: Any]) throws {
        var data = try ExperimentFiles.json(object)
        data.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: data)
        try handle.synchronize()
    }

    deinit { try? handle.close() }
}
