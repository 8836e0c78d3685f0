/// A header a remote judge sends. Secrets are written `env:NAME` in specs and read from the environment at each
/// call, so the spec (which may be stored, echoed or logged) never holds them; the value itself is never logged.
struct HeaderSource: Sendable, Equatable {
    let name: String
    /// Either a literal value or the name of an environment variable.
    let value: Value

    enum Value: Sendable, Equatable {
        case literal(String)
        case environment(String)
    }

    /// Header names whose literal values are refused: they carry credentials.
    static func isSensitive(_ name: String) -> Bool {
        let n = name.lowercased()
        return n == "authorization" || n == "proxy-authorization" || n == "cookie"
            || n.contains("key") || n.contains("token") || n.contains("secret")
    }

    /// Parses one `headers` entry; `path` names it in errors.
    static func parse(name: String, value: String, path: String,
                      environment: @Sendable (String) -> String?) throws -> HeaderSource {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw RewardError.invalidSpec(path: path, message: "header name must be letters, digits, '-' or '_'")
        }
        if value.hasPrefix("env:") {
            let variable = String(value.dropFirst(4))
            guard let first = variable.first, first.isLetter || first == "_",
                  variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw RewardError.invalidSpec(path: path, message: "env: must be followed by a variable name")
            }
            guard environment(variable) != nil else {
                throw RewardError.invalidSpec(path: path, message: "environment variable \(variable) is not set")
            }
            return HeaderSource(name: name, value: .environment(variable))
        }
        guard !isSensitive(name) else {
            throw RewardError.invalidSpec(path: path, message: "credentials must be given as env:NAME, not inline")
        }
        guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw RewardError.invalidSpec(path: path, message: "header value contains a line break")
        }
        return HeaderSource(name: name, value: .literal(value))
    }

    /// The header's current value; nil when its environment variable has disappeared.
    func resolve(_ environment: @Sendable (String) -> String?) -> String? {
        switch value {
        case .literal(let v): return v
        case .environment(let variable): return environment(variable)
        }
    }
}
