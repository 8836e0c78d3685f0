/// The key-value header of a GGUF file, in file order, with typed accessors that throw a `GGUFError` naming the key
/// (and the offset of its value) when it is missing or has another type.
public struct GGUFMetadata: Sendable {
    /// One key-value pair and the file offset of its key (nil for metadata built in memory).
    public struct Entry: Sendable, Equatable {
        /// The key, e.g. "llama.block_count".
        public let key: String
        /// The typed value.
        public let value: GGUFValue
        /// Byte offset of the key in the file, for error messages.
        public let offset: Int?
    }

    /// All entries in file order.
    public let entries: [Entry]
    private let indexByKey: [String: Int]

    /// Builds metadata from entries, refusing duplicate keys (the file parser reports the offset itself).
    public init(entries: [Entry]) throws(GGUFError) {
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            if index.updateValue(i, forKey: entry.key) != nil {
                throw GGUFError(.duplicateKey, at: entry.offset, "duplicate metadata key '\(entry.key)'")
            }
        }
        self.entries = entries
        self.indexByKey = index
    }

    /// Keys in file order.
    public var keys: [String] { entries.map(\.key) }

    /// The value for `key`, or nil when absent: for optional keys.
    public subscript(key: String) -> GGUFValue? {
        indexByKey[key].map { entries[$0].value }
    }

    /// The entry for `key` or a `missingKey` error.
    public func entry(_ key: String) throws(GGUFError) -> Entry {
        guard let i = indexByKey[key] else { throw GGUFError(.missingKey, "metadata key '\(key)' is missing") }
        return entries[i]
    }

    /// A value stored exactly as uint32 (the type GGUF specifies for llama hyper-parameters).
    public func uint32(_ key: String) throws(GGUFError) -> UInt32 {
        let e = try entry(key)
        guard case .uint32(let v) = e.value else { throw mismatch(e, "uint32") }
        return v
    }

    /// Any integer type whose value fits an Int: converters disagree on widths (u32 vs i32 for token ids).
    public func int(_ key: String) throws(GGUFError) -> Int {
        let e = try entry(key)
        guard let v = e.value.intValue else { throw mismatch(e, "an integer") }
        return v
    }

    /// A float32 or float64 value as Float.
    public func float(_ key: String) throws(GGUFError) -> Float {
        let e = try entry(key)
        guard let v = e.value.doubleValue else { throw mismatch(e, "a float") }
        return Float(v)
    }

    /// A string value.
    public func string(_ key: String) throws(GGUFError) -> String {
        let e = try entry(key)
        guard let v = e.value.stringValue else { throw mismatch(e, "string") }
        return v
    }

    /// A bool value.
    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let e = try entry(key)
        guard let v = e.value.boolValue else { throw mismatch(e, "bool") }
        return v
    }

    /// An array of strings (token lists, merges).
    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let e = try entry(key)
        guard case .array(.string(let strings)) = e.value else { throw mismatch(e, "array of string") }
        return strings
    }

    /// An array of any integer type as Ints (token types are int32, some converters write other widths).
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let e = try entry(key)
        guard case .array(let a) = e.value, let values = a.intValues else { throw mismatch(e, "array of integers") }
        return values
    }

    /// An array of float32/float64 values as Floats (token scores).
    public func floatArray(_ key: String) throws(GGUFError) -> [Float] {
        let e = try entry(key)
        guard case .array(let a) = e.value, let values = a.doubleValues else { throw mismatch(e, "array of floats") }
        return values.map(Float.init)
    }

    private func mismatch(_ entry: Entry, _ expected: String) -> GGUFError {
        let found = if case .array(let a) = entry.value { "array of \(a.elementType)" } else { "\(entry.value.type)" }
        return GGUFError(.typeMismatch, at: entry.offset, "metadata key '\(entry.key)' has type \(found), expected \(expected)")
    }
}
