import Foundation
import Tokenization

/// Reads and validates a JSONL dataset of `TrainingExample`s: one object per line, `{"prompt": "..."}` or
/// `{"messages": [{"role", "content"}...]}`, with `"reference"`, for DPO `"rejected"`, and an optional
/// `"metadata"` object. Every malformed line is refused with its line number; blank lines are skipped.
public enum TrainingDataset {
    /// Most bytes a dataset may have: the file is read whole, so its size is checked before reading.
    public static let maximumBytes = 256 << 20

    /// Reads `path`.
    public static func load(path: String, requireReference: Bool, requireRejected: Bool) throws -> [TrainingExample] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > maximumBytes {
            throw TrainingDataError("\(path): \(size) bytes, more than the \(maximumBytes) a dataset may have")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingDataError("cannot read '\(path)'")
        }
        return try parse(data, name: path, requireReference: requireReference, requireRejected: requireRejected)
    }

    /// Parses JSONL bytes; `name` prefixes error messages (a file path, or e.g. "dataset" for inline data).
    public static func parse(_ data: Data, name: String, requireReference: Bool,
                             requireRejected: Bool) throws -> [TrainingExample] {
        guard data.count <= maximumBytes else { throw TrainingDataError("\(name): more than \(maximumBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw TrainingDataError("\(name): not UTF-8") }
        var examples: [TrainingExample] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            func fail(_ why: String) -> TrainingDataError { TrainingDataError("\(name):\(line): \(why)") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw fail("not a JSON object")
            }
            // Unknown fields are refused (a misspelt "referense" must not silently drop references); free-form
            // data about an example goes in "metadata".
            let known: Set<String> = ["prompt", "messages", "reference", "rejected", "metadata"]
            if let extra = object.keys.sorted().first(where: { !known.contains($0) }) { throw fail("unknown field '\(extra)'") }
            var metadata: [String: String] = [:]
            if let value = object["metadata"] {
                guard let fields = value as? [String: Any] else { throw fail("\"metadata\" must be an object") }
                for (key, field) in fields {
                    if let s = field as? String {
                        metadata[key] = s
                    } else if let json = try? JSONSerialization.data(withJSONObject: field, options: [.sortedKeys, .fragmentsAllowed]) {
                        metadata[key] = String(decoding: json, as: UTF8.self)
                    }
                }
            }
            var messages: [ChatMessage]
            switch (object["prompt"], object["messages"]) {
            case (let prompt as String, nil):
                guard !prompt.isEmpty else { throw fail("empty \"prompt\"") }
                messages = [ChatMessage(role: "user", content: prompt)]
            case (nil, let list as [Any]):
                messages = []
                for (i, item) in list.enumerated() {
                    guard let m = item as? [String: Any], let role = m["role"] as? String, let content = m["content"] as? String,
                          ["system", "user", "assistant"].contains(role) else {
                        throw fail("messages[\(i)] needs \"role\" (system, user or assistant) and string \"content\"")
                    }
                    messages.append(ChatMessage(role: role, content: content))
                }
                guard messages.last?.role == "user" else { throw fail("the last message must be from the user") }
            case (nil, nil): throw fail("needs \"prompt\" or \"messages\"")
            default: throw fail("needs exactly one of \"prompt\" (a string) or \"messages\" (an array)")
            }
            func string(_ key: String, required: Bool) throws -> String? {
                guard let value = object[key] else {
                    if required { throw fail("missing \"\(key)\"") }
                    return nil
                }
                guard let s = value as? String, !s.isEmpty else { throw fail("\"\(key)\" must be a non-empty string") }
                return s
            }
            examples.append(TrainingExample(messages: messages, reference: try string("reference", required: requireReference),
                                            rejected: try string("rejected", required: requireRejected),
                                            metadata: metadata, line: line))
        }
        guard !examples.isEmpty else { throw TrainingDataError("\(name): no examples") }
        return examples
    }
}

/// A dataset problem, naming file (or source) and line.
public struct TrainingDataError: Error, CustomStringConvertible, Equatable {
    /// "name:line: what is wrong".
    public let description: String
    /// An error with its full message.
    public init(_ description: String) { self.description = description }
}
