import Rewards

/// A JSON object of an experiment config being read: every accessor knows its JSON path, so an error names the
/// field at fault, and `finish()` refuses fields nobody read (a misspelt option is an error, not a silent default).
struct ConfigObject {
    let path: String
    private let fields: [String: JSONValue]
    private var read: Set<String> = []

    init(_ value: JSONValue, path: String) throws {
        guard case .object(let o) = value else { throw ExperimentError("\(path): expected an object") }
        self.path = path
        fields = o
    }

    func error(_ key: String, _ message: String) -> ExperimentError { ExperimentError("\(path).\(key): \(message)") }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    mutating func string(_ key: String, default def: String? = nil) throws -> String {
        guard let v = value(key) else {
            if let def { return def }
            throw error(key, "required string is missing")
        }
        guard case .string(let s) = v, !s.isEmpty else { throw error(key, "expected a non-empty string") }
        return s
    }

    mutating func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let v = value(key) else { return def }
        guard case .bool(let b) = v else { throw error(key, "expected true or false") }
        return b
    }

    mutating func number(_ key: String, default def: Double? = nil, min: Double? = nil, max: Double? = nil) throws -> Double {
        guard let v = value(key) else {
            if let def { return def }
            throw error(key, "required number is missing")
        }
        guard case .number(let d) = v, d.isFinite else { throw error(key, "expected a finite number") }
        if let min, d < min { throw error(key, "must be at least \(min), got \(d)") }
        if let max, d > max { throw error(key, "must be at most \(max), got \(d)") }
        return d
    }

    mutating func int(_ key: String, default def: Int? = nil, min: Int, max: Int) throws -> Int {
        let d = try number(key, default: def.map(Double.init))
        guard d == d.rounded(), d >= Double(min), d <= Double(max) else {
            throw error(key, "expected a whole number between \(min) and \(max), got \(d)")
        }
        return Int(d)
    }

    mutating func array(_ key: String) throws -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw error(key, "expected an array") }
        return a
    }

    mutating func object(_ key: String) throws -> ConfigObject? {
        guard let v = value(key) else { return nil }
        return try ConfigObject(v, path: "\(path).\(key)")
    }

    /// Refuses any field that no accessor asked for.
    func finish() throws {
        if let extra = fields.keys.sorted().first(where: { !read.contains($0) }) {
            throw error(extra, "unknown field")
        }
    }
}

/// A problem with an experiment: its config, data, output directory or a run; the message names what and where.
struct ExperimentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
