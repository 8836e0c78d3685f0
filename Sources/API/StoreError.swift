import HTTP

/// The HTTP errors the server-side stores (rewards, groups, checkpoints, runs) and their request validation
/// raise, built in one place so codes stay consistent. Messages name the JSON path or the resource at fault.
enum StoreError {
    /// 400: a request field is wrong; `path` is its JSON path (`$.items[2].completion`, or without `$.`), shown
    /// as the API's other routes show fields: `field 'items[2].completion': ...`.
    static func invalid(_ path: String, _ message: String, code: String = "invalid_field") -> HTTPError {
        HTTPError(.badRequest, code: code, message: "field '\(fieldName(path))': \(message)")
    }

    /// `$.a.b` -> `a.b` (the Rewards module's paths start at `$`).
    static func fieldName(_ path: String) -> String {
        if path.hasPrefix("$.") { return String(path.dropFirst(2)) }
        return path == "$" ? "" : path
    }

    /// 404: the named resource does not exist (or has expired).
    static func notFound(_ kind: String, _ name: String, _ detail: String = "") -> HTTPError {
        HTTPError(.notFound, code: "\(kind)_not_found",
                  message: "\(kind) '\(name)' was not found\(detail.isEmpty ? "" : ": " + detail)")
    }

    /// 409: the request conflicts with what is stored (a name already taken, a reward that cannot be used).
    static func conflict(_ code: String, _ message: String) -> HTTPError {
        HTTPError(.conflict, code: code, message: message)
    }

    /// 403: refused by server policy (judge host outside the allow-list).
    static func forbidden(_ code: String, _ message: String) -> HTTPError {
        HTTPError(.forbidden, code: code, message: message)
    }

    /// 500 naming the storage operation that failed (paths are the server's own, not secrets).
    static func storage(_ message: String) -> HTTPError {
        HTTPError(.internalServerError, code: "storage_error", message: message)
    }
}
