import Foundation
import Tokenization

/// One training example from a JSONL file: `{"prompt": "..."}` or `{"messages": [{"role", "content"}...]}`,
/// with `"reference"` (the demonstration answer), for DPO `"rejected"`, and optionally a free-form `"metadata"` object.
struct TrainingExample: Sendable, Equatable {
    var messages: [ChatMessage]
    var reference: String?
    var rejected: String?
    /// 1-based line in the file, for messages.
    var line: Int
}

/// Reads and validates a JSONL dataset; every malformed line is refused with its line number.
enum TrainingDataset {
    static func load(path: String, requireReference: Bool, requireRejected: Bool) throws -> [TrainingExample] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingDataError("cannot read '\(path)'")
        }
        return try parse(data, name: path, requireReference: requireReference, requireRejected: requireRejected)
    }

    static func parse(_ data: Data, name: String, requireReference: Bool, requireRejected: Bool) throws -> [TrainingExample] {
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
            // data about an example goes in "metadata", an object the trainer carries but does not read.
            let known: Set<String> = ["prompt", "messages", "reference", "rejected", "metadata"]
            if let extra = object.keys.first(where: { !known.contains($0) }) { throw fail("unknown field '\(extra)'") }
            if let metadata = object["metadata"], !(metadata is [String: Any]) { throw fail("\"metadata\" must be an object") }
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
                                            rejected: try string("rejected", required: requireRejected), line: line))
        }
        guard !examples.isEmpty else { throw TrainingDataError("\(name): no examples") }
        return examples
    }
}

/// A dataset problem, naming file and line.
struct TrainingDataError: Error, CustomStringConvertible, Equatable {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The reward the offline trainer scores samples with until the Rewards module is wired in: 1 when the
/// completion equals the reference after trimming surrounding whitespace, else 0.
protocol CompletionReward: Sendable {
    var name: String { get }
    func score(completion: String, reference: String) -> Double?
}

struct ExactMatchReward: CompletionReward {
    let name = "exact_match"
    func score(completion: String, reference: String) -> Double? {
        completion.trimmingCharacters(in: .whitespacesAndNewlines) == reference.trimmingCharacters(in: .whitespacesAndNewlines)
            ? 1 : 0
    }
}
