/// The `calculate_output` expression of a `multi` reward: numbers, sub-grader names, + - * /, parentheses, and
/// min(...), max(...), abs(x), clip(x, lo, hi). Parsed once when the spec is read; names must be sub-graders.
indirect enum Formula: Sendable, Equatable {
    case number(Double)
    case variable(String)
    case negate(Formula)
    case binary(Character, Formula, Formula)
    case call(String, [Formula])

    /// Why a formula is malformed, with the character offset.
    struct ParseError: Error {
        let message: String
    }

    static let functions: [String: ClosedRange<Int>] = ["min": 1...64, "max": 1...64, "abs": 1...1, "clip": 3...3]

    /// Evaluates with sub-grader values; nil when a name is unbound (cannot happen after validation).
    func evaluate(_ values: [String: Double]) -> Double? {
        switch self {
        case .number(let d): return d
        case .variable(let n): return values[n]
        case .negate(let f): return f.evaluate(values).map { -$0 }
        case .binary(let op, let a, let b):
            guard let x = a.evaluate(values), let y = b.evaluate(values) else { return nil }
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            default: return x / y
            }
        case .call(let name, let args):
            let xs = args.compactMap { $0.evaluate(values) }
            guard xs.count == args.count else { return nil }
            switch name {
            case "min": return xs.min()
            case "max": return xs.max()
            case "abs": return abs(xs[0])
            default: return Swift.min(Swift.max(xs[0], xs[1]), xs[2])
            }
        }
    }

    /// Names the formula reads.
    var variables: Set<String> {
        switch self {
        case .number: return []
        case .variable(let n): return [n]
        case .negate(let f): return f.variables
        case .binary(_, let a, let b): return a.variables.union(b.variables)
        case .call(_, let args): return args.reduce(into: []) { $0.formUnion($1.variables) }
        }
    }

    static func parse(_ text: String) throws -> Formula {
        var p = Parser(chars: Array(text))
        let f = try p.expression()
        p.skipSpaces()
        if p.i < p.chars.count { throw p.error("unexpected '\(p.chars[p.i])'") }
        return f
    }

    private struct Parser {
        let chars: [Character]
        var i = 0
        var depth = 0

        func error(_ m: String) -> ParseError { ParseError(message: "\(m) at offset \(i)") }

        mutating func skipSpaces() {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
        }

        mutating func expression() throws -> Formula {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw error("nested too deeply") }
            var left = try term()
            while true {
                skipSpaces()
                guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return left }
                let op = chars[i]
                i += 1
                left = .binary(op, left, try term())
            }
        }

        mutating func term() throws -> Formula {
            var left = try unary()
            while true {
                skipSpaces()
                guard i < chars.count, chars[i] == "*" || chars[i] == "/" else { return left }
                let op = chars[i]
                i += 1
                left = .binary(op, left, try unary())
            }
        }

        mutating func unary() throws -> Formula {
            skipSpaces()
            if i < chars.count, chars[i] == "-" {
                i += 1
                depth += 1
                defer { depth -= 1 }
                guard depth < 64 else { throw error("nested too deeply") }
                return .negate(try unary())
            }
            return try primary()
        }

        mutating func primary() throws -> Formula {
            skipSpaces()
            guard i < chars.count else { throw error("expression ends early") }
            let c = chars[i]
            if c == "(" {
                i += 1
                let e = try expression()
                skipSpaces()
                guard i < chars.count, chars[i] == ")" else { throw error("missing ')'") }
                i += 1
                return e
            }
            if c.isNumber || c == "." {
                let start = i
                while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
                guard let d = Double(String(chars[start..<i])) else { throw error("bad number") }
                return .number(d)
            }
            if c.isLetter || c == "_" {
                let start = i
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                let name = String(chars[start..<i])
                skipSpaces()
                guard i < chars.count, chars[i] == "(" else { return .variable(name) }
                guard let arity = Formula.functions[name] else { throw error("unknown function '\(name)'") }
                i += 1
                var args: [Formula] = []
                skipSpaces()
                if i < chars.count, chars[i] == ")" { i += 1 } else {
                    while true {
                        args.append(try expression())
                        skipSpaces()
                        guard i < chars.count else { throw error("missing ')'") }
                        if chars[i] == "," { i += 1; continue }
                        guard chars[i] == ")" else { throw error("expected ',' or ')'") }
                        i += 1
                        break
                    }
                }
                guard arity.contains(args.count) else { throw error("\(name) takes \(arity) arguments, got \(args.count)") }
                return .call(name, args)
            }
            throw error("unexpected '\(c)'")
        }
    }
}
