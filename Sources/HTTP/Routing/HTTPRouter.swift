/// Maps method + path to a handler. Patterns are literal segments and `{name}` parameters
/// (`/v1/runs/{id}/events`); literal paths are found by one dictionary lookup, patterned ones by
/// segment matching. A path that exists with other methods answers 405 with `Allow`; HEAD falls back
/// to GET (the server drops the body).
public struct HTTPRouter: Sendable {
    /// An async handler: the general case, run as a Swift task so it may take minutes.
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    /// A handler the event loop runs in place: only for answers that never block or wait
    /// (health checks, static text); it saves a task hop per request.
    public typealias InlineHandler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// A registered handler of either kind.
    public enum Route: Sendable {
        case async(Handler)
        case inline(InlineHandler)
    }

    /// What a lookup found.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        case notFound
        case methodNotAllowed(allowed: [HTTPMethod])
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var literal: [String: [HTTPMethod: Route]] = [:]
    private var patterned: [(segments: [Segment], routes: [HTTPMethod: Route])] = []

    /// An empty router (every path is 404).
    public init() {}

    /// Registers an async handler for `method` on `pattern`.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        register(method, pattern, .async(handler))
    }

    /// Registers a handler the event loop runs inline; it must not block.
    public mutating func addInline(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping InlineHandler) {
        register(method, pattern, .inline(handler))
    }

    private mutating func register(_ method: HTTPMethod, _ pattern: String, _ route: Route) {
        let segments = Self.parsePattern(pattern)
        if !segments.contains(where: { if case .parameter = $0 { return true } else { return false } }) {
            precondition(literal[pattern]?[method] == nil, "route \(method) \(pattern) registered twice")
            literal[pattern, default: [:]][method] = route
            return
        }
        if let index = patterned.firstIndex(where: { $0.segments == segments }) {
            precondition(patterned[index].routes[method] == nil, "route \(method) \(pattern) registered twice")
            patterned[index].routes[method] = route
        } else {
            patterned.append((segments, [method: route]))
        }
    }

    /// Finds the handler for a request's method and (still percent-encoded) path.
    public func match(_ method: HTTPMethod, path: String) -> Match {
        if let routes = literal[path] {
            return select(method, routes, parameters: [:])
        }
        guard !patterned.isEmpty else { return .notFound }
        let parts = Self.split(path)
        for entry in patterned where entry.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matched = true
            for (segment, part) in zip(entry.segments, parts) {
                switch segment {
                case .literal(let text): matched = text == part
                case .parameter(let name):
                    matched = !part.isEmpty
                    parameters[name] = PercentEncoding.decode(part) ?? part
                }
                if !matched { break }
            }
            if matched { return select(method, entry.routes, parameters: parameters) }
        }
        return .notFound
    }

    private func select(_ method: HTTPMethod, _ routes: [HTTPMethod: Route], parameters: [String: String]) -> Match {
        if let route = routes[method] ?? (method == .HEAD ? routes[.GET] : nil) {
            return .found(route, parameters: parameters)
        }
        var allowed = Set(routes.keys)
        if allowed.contains(.GET) { allowed.insert(.HEAD) }
        return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
    }

    static func parsePattern(_ pattern: String) -> [Segment] {
        precondition(pattern.hasPrefix("/"), "route pattern '\(pattern)' must start with /")
        return split(pattern).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            precondition(!part.contains("{") && !part.contains("}"), "route pattern '\(pattern)' has a malformed parameter")
            return .literal(part)
        }
    }

    static func split(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map { String(decoding: $0, as: UTF8.self) }
    }
}
