/// A JSON object being read as part of a reward spec. Every accessor knows its JSON path, so an error names the
/// field at fault; `finish()` rejects fields nobody read, so a misspelt option is an error, not a silent default.
struct SpecObject {
    let path: String
    let fields: [String: JSONValue]
    private var read: Set<String> = []

    init(_ value: JSONValue, path: String) throws {
        guard case .object(let o) = value else {
            throw RewardError.invalidSpec(path: path, message: "expected an object, got \(value.kindName)")
        }
        self.path = path
        self.fields = o
    }

    func pathOf(_ key: String) -> String { "\(path).\(key)" }

    func fail(_ key: String, _ message: String) -> RewardError {
        .invalidSpec(path: pathOf(key), message: message)
    }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    mutating func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "expected a string, got \(v.kindName)") }
        return s
    }

    mutating func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw fail(key, "required string is missing") }
        return s
    }

    mutating func oneOf(_ key: String, _ allowed: [String], default def: String? = nil) throws -> String {
        guard let s = try string(key) else {
            if let def { return def }
            throw fail(key, "required; one of \(allowed.joined(separator: ", "))")
        }
        guard allowed.contains(s) else {
            throw fail(key, "\"\(s)\" is not one of \(allowed.joined(separator: ", "))")
        }
        return s
    }

    mutating func bool(_ key: String, default def: Bool) throws -> Bool {
        guard let v = value(key) else { return def }
        guard case .bool(let b) = v else { throw fail(key, "expected true or false, got \(v.kindName)") }
        return b
    }

    mutating func number(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let d) = v, d.isFinite else { throw fail(key, "expected a finite number, got \(v.kindName)") }
        return d
    }

    mutating func number(_ key: String, default def: Double, min: Double? = nil, max: Double? = nil) throws -> Double {
        let d = try number(key) ?? def
        if let min, d < min { throw fail(key, "must be at least \(min), got \(d)") }
        if let max, d > max { throw fail(key, "must be at most \(max), got \(d)") }
        return d
    }

    mutating func int(_ key: String) throws -> Int? {
        guard let d = try number(key) else { return nil }
        guard d == d.rounded(), abs(d) <= 1e12 else { throw fail(key, "expected a whole number, got \(d)") }
        return Int(d)
    }

    mutating func int(_ key: String, default def: Int, min: Int, max: Int) throws -> Int {
        let i = try int(key) ?? def
        guard i >= min, i <= max else { throw fail(key, "must be between \(min) and \(max), got \(i)") }
        return i
    }

    mutating func array(_ key: String) throws -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw fail(key, "expected an array, got \(v.kindName)") }
        return a
    }

    mutating func object(_ key: String) throws -> [String: JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw fail(key, "expected an object, got \(v.kindName)") }
        return o
    }

    mutating func stringList(_ key: String) throws -> [String]? {
        guard let a = try array(key) else { return nil }
        return try a.enumerated().map { i, v in
            guard case .string(let s) = v else {
                throw RewardError.invalidSpec(path: "\(pathOf(key))[\(i)]", message: "expected a string, got \(v.kindName)")
            }
            return s
        }
    }

    /// A `[low, high]` pair with low < high.
    mutating func range(_ key: String) throws -> ClosedRange<Double>? {
        guard let a = try array(key) else { return nil }
        guard a.count == 2, case .number(let lo) = a[0], case .number(let hi) = a[1], lo.isFinite, hi.isFinite else {
            throw fail(key, "expected [low, high] with two finite numbers")
        }
        guard lo < hi else { throw fail(key, "low (\(lo)) must be below high (\(hi))") }
        return lo...hi
    }

    /// Rejects any field not read so far.
    func finish() throws {
        for key in fields.keys.sorted() where !read.contains(key) {
            throw RewardError.invalidSpec(path: pathOf(key), message: "unknown field")
        }
    }
}
