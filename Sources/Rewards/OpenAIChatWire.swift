import Foundation

/// An OpenAI-compatible chat model as judge: POST /v1/chat/completions with the rubric messages filled in from
/// `{{prompt}}`, `{{completion}}`, `{{reference}}`; the reply text must be exactly a number in `range` (or
/// `{"score": n}`), or, for pairwise judging, exactly one verdict: +1 (candidate better), 0 (tie), -1 (worse).
struct OpenAIChatWire: JudgeWire {
    enum Output: String, Sendable {
        case score, pairwise
    }

    let model: String
    /// (role, content template) pairs.
    let messages: [(role: String, content: String)]
    let output: Output
    let range: ClosedRange<Double>?
    /// Extra request fields (temperature, top_p, seed, max_tokens), already validated as numbers.
    let samplingParams: [String: JSONValue]
    var batchSize: Int { 1 }
    var protocolName: String { "openai_chat" }
    var identity: String {
        "openai_chat \(model) \(output.rawValue) \(range.map { "\($0)" } ?? "") "
            + JSONValue.array(messages.map { .array([.string($0.role), .string($0.content)]) }).text
            + JSONValue.object(samplingParams).text
    }

    static let placeholders = ["prompt", "completion", "reference"]
    private var needsReference: Bool { messages.contains { $0.content.contains("{{reference}}") } }

    func precheck(_ item: RewardItem) -> RewardFailure? {
        if needsReference, item.reference == nil {
            return RewardFailure(.missingInput, "the rubric uses {{reference}} but the item has none")
        }
        return nil
    }

    func body(for items: [RewardItem]) -> [UInt8] {
        let item = items[0]
        let rendered: [JSONValue] = messages.map { m in
            .object(["role": .string(m.role), "content": .string(Self.render(m.content, item))])
        }
        var o = samplingParams
        o["model"] = .string(model)
        o["messages"] = .array(rendered)
        if o["temperature"] == nil { o["temperature"] = .number(0) }
        return JSONValue.object(o).serialized()
    }

    /// Fills the placeholders in one pass, so text inside a completion that looks like a placeholder stays as is.
    static func render(_ template: String, _ item: RewardItem) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let key = rest[open.upperBound..<close.lowerBound]
            switch key {
            case "prompt": out += item.prompt
            case "completion": out += item.completion
            case "reference": out += item.reference ?? ""
            default: out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// Placeholder names used in a template, for validation.
    static func placeholdersUsed(in template: String) -> [String] {
        var names: [String] = []
        var rest = template[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return names
    }

    func parse(_ reply: [UInt8], items: [RewardItem]) -> [RewardOutcome] {
        let json: JSONValue
        switch parseJSON(reply) {
        case .failure(let f): return [.failure(f)]
        case .success(let j): json = j
        }
        guard case .object(let top) = json, case .array(let choices)? = top["choices"], let first = choices.first,
              case .object(let choice) = first, case .object(let message)? = choice["message"],
              case .string(let content)? = message["content"] else {
            return failAll(items, "reply has no choices[0].message.content string")
        }
        return [verdict(content)]
    }

    /// Strict: the whole trimmed reply must be the answer; anything else is a failure quoting the reply.
    func verdict(_ content: String) -> RewardOutcome {
        let text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        let quoted = "\"\(text.prefix(60))\""
        switch output {
        case .pairwise:
            switch text {
            case "+1", "1": return .score(RewardScore(1))
            case "0": return .score(RewardScore(0))
            case "-1": return .score(RewardScore(-1))
            default: return .failure(RewardFailure(.invalidReply, "verdict must be +1, 0 or -1, got \(quoted)"))
            }
        case .score:
            var number: JSONValue?
            if Self.isPlainNumber(text) {
                number = .number(Double(text)!)
            } else if case .object(let o)? = try? JSONValue.parse(text), o.count == 1, let s = o["score"] {
                number = s
            }
            guard let number else {
                return .failure(RewardFailure(.invalidReply, "reply is not a number: \(quoted)"))
            }
            return checkedScore(number, range: range, what: "score")
        }
    }

    /// A decimal literal: optional sign, digits, optional fraction and exponent. Rejects "nan", "inf", hex.
    static func isPlainNumber(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 40,
              s.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              s.contains(where: { $0.isNumber }), let d = Double(s) else { return false }
        return d.isFinite
    }
}
