import Alignment
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The checkpoints under `<data>/checkpoints/`, one directory each (written atomically by `Checkpoint.save`).
/// It validates names (they become directory names: no path traversal), lists what is there with each
/// checkpoint's metadata, and saves and loads through the Alignment module, whose load checks everything
/// before touching the weights. Callers run `save` and `load` on the thread that owns the trainer.
public final class CheckpointCatalog: Sendable {
    /// One checkpoint as listed.
    public struct Info: Sendable, Equatable {
        /// The name (directory) clients use.
        public var name: String
        /// Its metadata, or nil when unreadable.
        public var metadata: CheckpointMetadata?
        /// Why the checkpoint cannot be read; nil when it can.
        public var problem: String?
        /// Total bytes of its files.
        public var bytes: Int
        /// Last modification (ISO 8601, UTC).
        public var modifiedAt: String
    }

    /// The directory holding one subdirectory per checkpoint.
    public let directory: String

    /// Opens (creating if needed) the catalogue and finishes what a crash interrupted: a checkpoint moved aside
    /// (`<name>.old-<pid>`) whose replacement never landed is put back; half-written temporaries are removed.
    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw StoreError.storage("cannot create checkpoint directory '\(directory)': \(error.localizedDescription)")
        }
        for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] {
            let full = (directory as NSString).appendingPathComponent(entry)
            if let range = entry.range(of: ".old-", options: .backwards) {
                let original = (directory as NSString).appendingPathComponent(String(entry[..<range.lowerBound]))
                if fm.fileExists(atPath: original) { try? fm.removeItem(atPath: full) } else { rename(full, original) }
            } else if entry.range(of: ".tmp-") != nil {
                try? fm.removeItem(atPath: full)
            }
        }
    }

    /// Checkpoint names: ASCII letters, digits, `_`, `-`, `.`; 1...64 characters; not starting with `.` or `-`;
    /// without `..` or the markers of temporaries. `path` names the request field in the error.
    public static func validateName(_ name: String, path: String) throws {
        guard (1...64).contains(name.count) else { throw StoreError.invalid(path, "must be 1 to 64 characters") }
        guard let first = name.unicodeScalars.first, first != ".", first != "-",
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) }),
              !name.contains(".."), !name.contains(".tmp-"), !name.contains(".old-")
        else {
            throw StoreError.invalid(path, "'\(name)' must be ASCII letters, digits, '_', '-' or '.', not starting with '.' or '-'")
        }
    }

    /// The directory of checkpoint `name` (validated).
    public func path(of name: String, field: String = "name") throws -> String {
        try Self.validateName(name, path: field)
        return (directory as NSString).appendingPathComponent(name)
    }

    /// Whether a checkpoint directory `name` exists.
    public func exists(_ name: String) -> Bool {
        guard let p = try? path(of: name) else { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Every checkpoint, by name; unreadable ones are listed with the problem rather than hidden.
    public func list() -> [Info] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { (try? Self.validateName($0, path: "")) != nil && exists($0) }
        return names.sorted().map(info)
    }

    /// One checkpoint's listing entry; 404 when it does not exist.
    public func describe(_ name: String, field: String = "name") throws -> Info {
        _ = try path(of: name, field: field)
        guard exists(name) else { throw StoreError.notFound("checkpoint", name) }
        return info(name)
    }

    private func info(_ name: String) -> Info {
        let fm = FileManager.default
        let dir = (directory as NSString).appendingPathComponent(name)
        var bytes = 0
        var modified = Date(timeIntervalSince1970: 0)
        for file in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] {
            let attributes = try? fm.attributesOfItem(atPath: (dir as NSString).appendingPathComponent(file))
            bytes += (attributes?[.size] as? Int) ?? 0
            if let m = attributes?[.modificationDate] as? Date, m > modified { modified = m }
        }
        var meta: CheckpointMetadata?
        var problem: String?
        do { meta = try Checkpoint.metadata(at: dir) } catch { problem = "\(error)" }
        return Info(name: name, metadata: meta, problem: problem, bytes: bytes,
                    modifiedAt: ISO8601DateFormatter().string(from: modified))
    }

    /// Saves `trainer` as `name`. A taken name is a 409 unless `overwrite` (the old one is replaced atomically).
    public func save(_ trainer: PolicyTrainer, name: String, objective: String, baseModelSHA256: String,
                     hyperParameters: [String: String] = [:], includeOptimizer: Bool = true, overwrite: Bool,
                     field: String = "$.name") throws -> Info {
        let dir = try path(of: name, field: field)
        if exists(name), !overwrite {
            throw StoreError.conflict("checkpoint_exists", "checkpoint '\(name)' exists; pass \"overwrite\": true to replace it")
        }
        do {
            try Checkpoint.save(trainer, to: dir, objective: objective, baseModelSHA256: baseModelSHA256,
                                hyperParameters: hyperParameters, includeOptimizer: includeOptimizer)
        } catch {
            throw StoreError.storage("cannot save checkpoint '\(name)': \(error)")
        }
        return info(name)
    }

    /// Loads checkpoint `name` into `trainer`. A missing one is 404; a corrupt or mismatched one (other base
    /// model, other adapter shape, bad hash) is a 409 and leaves the trainer exactly as it was.
    public func load(_ name: String, into trainer: PolicyTrainer, baseModelSHA256: String,
                     restoreOptimizer: Bool = true) throws -> CheckpointMetadata {
        let dir = try path(of: name, field: "name")
        guard exists(name) else { throw StoreError.notFound("checkpoint", name) }
        do {
            return try Checkpoint.load(into: trainer, from: dir, baseModelSHA256: baseModelSHA256,
                                       restoreOptimizer: restoreOptimizer)
        } catch {
            throw StoreError.conflict("checkpoint_unusable", "\(error); the current weights are unchanged")
        }
    }
}
