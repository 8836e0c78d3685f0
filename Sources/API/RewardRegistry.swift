import Foundation
import HTTP
import Rewards
import Synchronization

/// Named reward specs (rule rewards, composites, remote judges) registered over `POST /v1/rewards`, kept as one
/// JSON file each under `<data>/rewards/` and reloaded at start, so a restart keeps every registration. Specs
/// are validated by the Rewards module's parser before anything is stored (errors name the JSON path), remote
/// judges can be limited to an allow-list of hosts, and secrets exist only as `env:NAME` references (the
/// Rewards parser refuses credentials written inline; URLs with user:password are refused here).
public final class RewardRegistry: Sendable {
    /// One registration as listed and stored.
    public struct Entry: Sendable, Equatable {
        /// The name requests refer to.
        public var name: String
        /// The spec exactly as registered (secrets appear only as `env:NAME`).
        public var spec: JSONValue
        /// When it was registered (ISO 8601, UTC).
        public var createdAt: String
        /// Why the stored spec cannot be used now (e.g. its `env:` variable is unset after a restart); nil when usable.
        public var unavailableReason: String?
    }

    /// Most registrations kept; more are refused (each file is read at every start).
    public static let maxEntries = 256

    /// The directory holding `<name>.json` files.
    public let directory: String
    /// Hosts remote judges may be at (lower-cased); nil allows any.
    public let allowedJudgeHosts: Set<String>?
    let context: RewardContext
    private let entries: Mutex<[String: (entry: Entry, model: (any RewardModel)?)]>

    /// Opens (creating if needed) `directory` and loads every stored registration. A stored spec that no longer
    /// builds is kept and listed as unavailable rather than dropped: deleting it is the client's decision.
    public init(directory: String, context: RewardContext, allowedJudgeHosts: [String]? = nil) throws {
        self.directory = directory
        self.context = context
        self.allowedJudgeHosts = allowedJudgeHosts.map { Set($0.map { $0.lowercased() }) }
        entries = Mutex([:])
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.storage("cannot create reward directory '\(directory)': \(error.localizedDescription)")
        }
        StateFile.removeLeftovers(in: directory)
        var loaded: [String: (entry: Entry, model: (any RewardModel)?)] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in names.sorted() where file.hasSuffix(".json") && !file.hasPrefix(".") {
            let name = String(file.dropLast(5))
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path),
                  case .object(let o)? = try? JSONValue.parse(Array(data)),
                  case .string(let stored)? = o["name"], stored == name, let spec = o["spec"],
                  case .string(let created)? = o["created_at"] else {
                loaded[name] = (Entry(name: name, spec: .null, createdAt: "",
                                      unavailableReason: "the stored file '\(file)' is unreadable"), nil)
                continue
            }
            do {
                let model = try build(Self.named(spec, name))
                loaded[name] = (Entry(name: name, spec: spec, createdAt: created, unavailableReason: nil), model)
            } catch let error as HTTPError {
                loaded[name] = (Entry(name: name, spec: spec, createdAt: created, unavailableReason: error.message), nil)
            }
        }
        entries.withLock { $0 = loaded }
    }

    /// Every registration, by name.
    public func list() -> [Entry] {
        entries.withLock { $0.values.map(\.entry) }.sorted { $0.name < $1.name }
    }

    /// Validates and stores a spec under `name`. Nothing is written unless the spec builds; a taken name is a
    /// conflict (delete first to replace). `path` prefixes spec errors (`$.spec`).
    @discardableResult
    public func register(name: String, spec: JSONValue, path: String = "$.spec") throws -> Entry {
        try Self.validateName(name, path: "$.name")
        let model = try build(Self.named(spec, name), path: path)
        let entry = Entry(name: name, spec: spec, createdAt: ISO8601DateFormatter().string(from: Date()),
                          unavailableReason: nil)
        let file: JSONValue = .object(["name": .string(name), "spec": spec, "created_at": .string(entry.createdAt)])
        try entries.withLock { all in
            guard all[name] == nil else {
                throw StoreError.conflict("reward_exists", "reward '\(name)' is already registered; DELETE /v1/rewards/\(name) first")
            }
            guard all.count < Self.maxEntries else {
                throw StoreError.conflict("too_many_rewards", "at most \(Self.maxEntries) rewards can be registered")
            }
            do {
                try StateFile.write(Data(file.serialized()), to: filePath(name))
            } catch {
                throw StoreError.storage("cannot store reward '\(name)': \(error)")
            }
            all[name] = (entry, model)
        }
        return entry
    }

    /// Deletes a registration and its file.
    public func remove(name: String) throws {
        try entries.withLock { all in
            guard all[name] != nil else { throw StoreError.notFound("reward", name) }
            do { try StateFile.remove(filePath(name)) } catch {
                throw StoreError.storage("cannot delete reward '\(name)': \(error)")
            }
            all[name] = nil
        }
    }

    /// The reward registered as `name`; `path` names the request field that referred to it.
    public func reward(named name: String, path: String) throws -> any RewardModel {
        let found = entries.withLock { $0[name] }
        guard let found else {
            throw StoreError.invalid(path, "no reward named '\(name)' is registered (GET /v1/rewards lists them)")
        }
        guard let model = found.model else {
            throw StoreError.conflict("reward_unavailable",
                                      "reward '\(name)' cannot be used: \(found.entry.unavailableReason ?? "unknown")")
        }
        return model
    }

    /// A request's `reward` field: a registered name, a built-in type name (its defaults), or an inline spec.
    public func resolve(_ value: JSONValue, path: String) throws -> any RewardModel {
        switch value {
        case .string(let name):
            if entries.withLock({ $0[name] != nil }) { return try reward(named: name, path: path) }
            guard RewardSpec.types.contains(name) else {
                throw StoreError.invalid(path, "'\(name)' is neither a registered reward nor a built-in type "
                    + "(\(RewardSpec.types.joined(separator: ", ")))")
            }
            return try build(.object(["type": .string(name)]), path: path)
        case .object:
            return try build(value, path: path)
        default:
            throw StoreError.invalid(path, "expected a reward name (string) or a reward spec (object)")
        }
    }

    /// Builds a spec after the registry's own checks (judge hosts, no credentials in URLs); a spec error becomes a
    /// 400 naming the field under `path`.
    func build(_ spec: JSONValue, path: String = "$") throws -> any RewardModel {
        for (urlPath, url) in Self.judgeURLs(in: spec, path: path) {
            try checkJudgeURL(url, path: urlPath)
        }
        do {
            return try RewardSpec.makeReward(spec, context: context, path: path)
        } catch let error as RewardError {
            throw StoreError.invalid(error.path, Self.message(of: error))
        }
    }

    /// The spec with the registered name as its `name` when it has none, so logs, metrics, results and cache
    /// keys show the registration's name (the stored spec stays as given).
    static func named(_ spec: JSONValue, _ name: String) -> JSONValue {
        guard case .object(var o) = spec, o["name"] == nil else { return spec }
        o["name"] = .string(name)
        return .object(o)
    }

    private func filePath(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name + ".json")
    }

    private static func message(of error: RewardError) -> String {
        switch error {
        case .invalidSpec(_, let message): return message
        }
    }

    /// Names become file names: letters, digits, `_`, `-`, `.`; 1...64 characters; not starting with `.` or `-`;
    /// never a built-in type's name (which `resolve` would otherwise shadow).
    static func validateName(_ name: String, path: String) throws {
        guard (1...64).contains(name.count) else { throw StoreError.invalid(path, "must be 1 to 64 characters") }
        guard let first = name.unicodeScalars.first, first != ".", first != "-",
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) })
        else {
            throw StoreError.invalid(path, "'\(name)' must be ASCII letters, digits, '_', '-' or '.', not starting with '.' or '-'")
        }
        guard !RewardSpec.types.contains(name) else {
            throw StoreError.invalid(path, "'\(name)' is a built-in reward type; choose another name")
        }
    }
}
