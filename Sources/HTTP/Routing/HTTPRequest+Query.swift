/// Query string access (`?a=1&b=two`), decoded the way HTML forms and most clients encode it.
extension HTTPRequest {
    /// The query's name/value pairs in order. A pair without `=` has an empty value. Throws a 400
    /// `HTTPError` naming the part when an escape is malformed.
    public func queryItems() throws(HTTPError) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        var items: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(String(pieces[0]), plusIsSpace: true),
                  let value = PercentEncoding.decode(pieces.count > 1 ? String(pieces[1]) : "", plusIsSpace: true) else {
                throw HTTPError(.badRequest, code: "invalid_query", message: "query part '\(part)' has a malformed percent-escape")
            }
            items.append((name, value))
        }
        return items
    }

    /// The first value of query parameter `name`, or nil.
    public func queryValue(_ name: String) throws(HTTPError) -> String? {
        try queryItems().first { $0.name == name }?.value
    }
}
