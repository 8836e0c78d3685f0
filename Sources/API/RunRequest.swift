import Alignment
import Foundation
import HTTP

/// The body of `POST /v1/runs`: `{"config": RunConfig, "dataset": DATA, "eval_dataset"?: DATA, "reward": name | spec,
/// "eval_max_tokens"?: n, "eval_success_threshold"?: x}` where DATA is `{"path": "<under the data directory>"}`,
/// `{"jsonl": "<text>"}` or `{"examples": [{prompt | messages, reference?, rejected?, metadata?}]}`. Datasets
/// are parsed with `TrainingDataset` (malformed lines named by number; an empty dataset refused).
enum RunRequest {
    /// Most examples one inline or file dataset may hold.
    static let maxExamples = 1_000_000

    /// The run config (strict: unknown fields and out-of-range values are refused with the field's name).
    static func config(_ body: JSONObjectReader) throws -> RunConfig {
        guard let raw = body.raw("config") else { return RunConfig() }
        guard raw is [String: Any] else { throw body.invalid("config", "must be an object") }
        do {
            return try JSONDecoder().decode(RunConfig.self, from: try JSONSerialization.data(withJSONObject: raw))
        } catch let error as AlignmentError {
            guard case .invalidTraining(let why) = error else { throw body.invalid("config", error.description) }
            throw HTTPError(.badRequest, code: "invalid_field", message: "field 'config': \(why)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw StoreError.invalid("config." + context.codingPath.map(\.stringValue).joined(separator: "."), "has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw StoreError.invalid("config." + context.codingPath.map(\.stringValue).joined(separator: "."), context.debugDescription)
        } catch {
            throw body.invalid("config", "is not a valid run config: \(error)")
        }
    }

    /// A dataset field (`dataset`, `eval_dataset`); nil when absent and not `required`.
    static func dataset(_ body: JSONObjectReader, _ key: String, dataDirectory: String, required: Bool) throws -> [TrainingExample]? {
        guard let d = try body.optionalObject(key) else {
            if required { throw body.invalid(key, code: "missing_field", "is required: {\"path\"}, {\"jsonl\"} or {\"examples\"}") }
            return nil
        }
        let forms = ["path", "jsonl", "examples"].filter { d.has($0) }
        guard forms.count == 1 else { throw d.invalid(forms.first ?? "path", "give exactly one of path, jsonl or examples") }
        let data: Data, name: String
        switch forms[0] {
        case "path":
            let relative = try d.string("path")
            let path = try resolve(relative, under: dataDirectory, field: d.name("path"))
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0
            guard size <= TrainingDataset.maximumBytes else { throw d.invalid("path", "names a file larger than \(TrainingDataset.maximumBytes) bytes") }
            guard let bytes = FileManager.default.contents(atPath: path) else { throw d.invalid("path", "names no readable file") }
            (data, name) = (bytes, relative)
        case "jsonl":
            (data, name) = (Data(try d.string("jsonl").utf8), d.name("jsonl"))
        default:
            guard let list = try d.optionalArray("examples", maxCount: maxExamples) else { throw d.invalid("examples", "must be an array") }
            var lines = Data()
            for (i, example) in list.enumerated() {
                guard example is [String: Any] else { throw d.invalid("examples[\(i)]", "must be an object") }
                lines.append(try JSONSerialization.data(withJSONObject: example))
                lines.append(UInt8(ascii: "\n"))
            }
            (data, name) = (lines, d.name("examples") + " line")
        }
        try d.finish()
        do {
            let examples = try TrainingDataset.parse(data, name: name, requireReference: false, requireRejected: false)
            guard examples.count <= maxExamples else { throw d.invalid(forms[0], "has more than \(maxExamples) examples") }
            return examples
        } catch let error as TrainingDataError {
            throw HTTPError(.badRequest, code: "invalid_dataset", message: "field '\(key)': \(error.description)")
        }
    }

    /// A relative path inside the data directory; absolute paths, `..` and symlinks out of it are refused.
    static func resolve(_ relative: String, under root: String, field: String) throws -> String {
        guard !relative.isEmpty, !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
            throw StoreError.invalid(field, "must be a relative path inside the data directory, without '..'")
        }
        let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let full = URL(fileURLWithPath: (base as NSString).appendingPathComponent(relative)).standardizedFileURL
            .resolvingSymlinksInPath().path
        guard full.hasPrefix(base + "/") else { throw StoreError.invalid(field, "leads outside the data directory") }
        return full
    }
}
