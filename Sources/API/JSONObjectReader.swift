import Foundation
import HTTP

/// Reads a JSON request body field by field, so that every mistake becomes a 400 naming the field: bad JSON,
/// a missing required field, a wrong type, a value out of range, and (at `finish()`) a field the route does not
/// know, which would otherwise be silently ignored (a misspelled `temprature` must not mean "default").
///
/// Nested objects get readers whose paths continue the parent's (`messages[2].role`). `null` counts as absent
/// for optional fields, as OpenAI clients send it.
public final class JSONObjectReader {
    /// Where this object sits in the body, for messages (empty for the root).
    public let path: String
    private let values: [String: Any]
    private var seen: Set<String> = []

    /// Parses `body`, which must be one JSON object.
    public static func parse(_ body: [UInt8]) throws(HTTPError) -> JSONObjectReader {
        if body.isEmpty { throw HTTPError(.badRequest, code: "invalid_json", message: "the request body is empty; a JSON object is expected") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw HTTPError(.badRequest, code: "invalid_json", message: "the request body is not valid JSON: \(Self.reason(error))")
        }
        guard let values = object as? [String: Any] else {
            throw HTTPError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        return JSONObjectReader(values: values, path: "")
    }

    /// A reader over an already parsed object at `path`.
    public init(values: [String: Any], path: String) {
        self.values = values
        self.path = path
    }

    /// The full name of `key` in messages (`messages[0].content`).
    public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the body has `key` with a non-null value (marks it as known).
    public func has(_ key: String) -> Bool {
        seen.insert(key)
        guard let value = values[key] else { return false }
        return !(value is NSNull)
    }

    /// The raw value of `key` (nil when absent or null), marked as known.
    public func raw(_ key: String) -> Any? {
        seen.insert(key)
        guard let value = values[key], !(value is NSNull) else { return nil }
        return value
    }

    /// Marks fields the route accepts but does not use (e.g. OpenAI's `user`), so `finish()` allows them.
    public func ignore(_ keys: String...) { seen.formUnion(keys) }

    /// Throws 400 `unknown_field` if the body has a field nothing read or ignored.
    public func finish() throws(HTTPError) {
        let unknown = values.keys.filter { !seen.contains($0) }.sorted()
        if let first = unknown.first {
            throw invalid(first, code: "unknown_field", "is not a known field of this request"
                          + (unknown.count > 1 ? " (nor are \(unknown.dropFirst().map { "'\($0)'" }.joined(separator: ", ")))" : ""))
        }
    }

    /// A 400 naming field `key` of this object.
    public func invalid(_ key: String, code: String = "invalid_field", _ problem: String) -> HTTPError {
        HTTPError(.badRequest, code: code, message: "field '\(name(key))' \(problem)")
    }

    private func required<T>(_ key: String, _ read: (String) throws(HTTPError) -> T?) throws(HTTPError) -> T {
        guard let value = try read(key) else { throw invalid(key, code: "missing_field", "is required") }
        return value
    }

    // MARK: Typed fields

    /// An optional string.
    public func optionalString(_ key: String) throws(HTTPError) -> String? {
        guard let value = raw(key) else { return nil }
        guard let text = value as? String else { throw invalid(key, "must be a string, got \(Self.describe(value))") }
        return text
    }

    /// A required string.
    public func string(_ key: String) throws(HTTPError) -> String { try required(key, optionalString) }

    /// An optional boolean.
    public func optionalBool(_ key: String) throws(HTTPError) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard Self.isBool(value), let flag = value as? Bool else { throw invalid(key, "must be true or false, got \(Self.describe(value))") }
        return flag
    }

    /// An optional number in `range` (finite).
    public func optionalDouble(_ key: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
        throws(HTTPError) -> Double? {
        guard let value = raw(key) else { return nil }
        guard !Self.isBool(value), let number = value as? Double, number.isFinite else {
            throw invalid(key, "must be a number, got \(Self.describe(value))")
        }
        guard range.contains(number) else { throw invalid(key, "must be in [\(Self.format(range.lowerBound)), \(Self.format(range.upperBound))], got \(Self.format(number))") }
        return number
    }

    /// A required number in `range`.
    public func double(_ key: String, in range: ClosedRange<Double>) throws(HTTPError) -> Double {
        try required(key) { (k: String) throws(HTTPError) in try optionalDouble(k, in: range) }
    }

    /// An optional integer in `range` (`2.0` is accepted as 2; `2.5`, strings and booleans are not).
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(HTTPError) -> Int? {
        guard let value = raw(key) else { return nil }
        guard !Self.isBool(value), let number = value as? Double, number.isFinite, number.rounded() == number else {
            throw invalid(key, "must be an integer, got \(Self.describe(value))")
        }
        guard number >= Double(range.lowerBound), number <= Double(range.upperBound) else {
            throw invalid(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(Self.format(number))")
        }
        return Int(number)
    }

    /// A required integer in `range`.
    public func int(_ key: String, in range: ClosedRange<Int>) throws(HTTPError) -> Int {
        try required(key) { (k: String) throws(HTTPError) in try optionalInt(k, in: range) }
    }

    /// An optional array (elements unchecked; use the typed readers below when possible).
    public func optionalArray(_ key: String, maxCount: Int) throws(HTTPError) -> [Any]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw invalid(key, "must be an array, got \(Self.describe(value))") }
        guard array.count <= maxCount else { throw invalid(key, "has \(array.count) elements; at most \(maxCount) are allowed") }
        return array
    }

    /// An optional array of strings.
    public func optionalStrings(_ key: String, maxCount: Int) throws(HTTPError) -> [String]? {
        guard let array = try optionalArray(key, maxCount: maxCount) else { return nil }
        var strings: [String] = []
        for (i, element) in array.enumerated() {
            guard let text = element as? String else { throw invalid("\(key)[\(i)]", "must be a string, got \(Self.describe(element))") }
            strings.append(text)
        }
        return strings
    }

    /// A string or an array of strings (OpenAI's `stop`), as an array.
    public func optionalStringOrStrings(_ key: String, maxCount: Int) throws(HTTPError) -> [String]? {
        if let text = raw(key) as? String { return [text] }
        return try optionalStrings(key, maxCount: maxCount)
    }

    /// An optional nested object.
    public func optionalObject(_ key: String) throws(HTTPError) -> JSONObjectReader? {
        guard let value = raw(key) else { return nil }
        guard let object = value as? [String: Any] else { throw invalid(key, "must be an object, got \(Self.describe(value))") }
        return JSONObjectReader(values: object, path: name(key))
    }

    /// An optional array of objects, each as a reader (`key[i]`).
    public func optionalObjects(_ key: String, maxCount: Int) throws(HTTPError) -> [JSONObjectReader]? {
        guard let array = try optionalArray(key, maxCount: maxCount) else { return nil }
        var readers: [JSONObjectReader] = []
        for (i, element) in array.enumerated() {
            guard let object = element as? [String: Any] else {
                throw invalid("\(key)[\(i)]", "must be an object, got \(Self.describe(element))")
            }
            readers.append(JSONObjectReader(values: object, path: name("\(key)[\(i)]")))
        }
        return readers
    }

    // MARK: Helpers

    /// JSONSerialization gives booleans as NSNumbers that also convert to numbers; the Boolean ones have
    /// Objective-C type "c" (no JSON number produces a char).
    static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    /// The JSON type of a value, for messages (the value itself is not echoed: it may be long or secret).
    static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if isBool(value) { return "a boolean" }
        if value is String { return "a string" }
        if let number = value as? Double { return number.isFinite && number.rounded() == number ? "the number \(format(number))" : "a number" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "an unsupported value"
    }

    static func format(_ number: Double) -> String {
        if number.rounded() == number && abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    private static func reason(_ error: any Error) -> String {
        let text = "\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error.localizedDescription)"
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }
}
