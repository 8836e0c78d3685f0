/// The one place where errors become HTTP responses.
extension HTTPResponse {
    /// The response for any error a handler threw or the server raised: an `HTTPError` keeps its
    /// status, code and headers; anything else is a 500 whose body does not leak internals (the
    /// server logs the real error). Body: `{"error": {"code": "...", "message": "..."}}`.
    public init(error: any Error) {
        let httpError = (error as? HTTPError)
            ?? HTTPError(.internalServerError, code: "internal_error", message: "the server failed to handle the request")
        var body = Array(#"{"error":{"code":""#.utf8)
        JSONText.appendEscaped(httpError.code, to: &body)
        body.append(contentsOf: #"","message":""#.utf8)
        JSONText.appendEscaped(httpError.message, to: &body)
        body.append(contentsOf: #""}}"#.utf8)
        var headers = httpError.headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        self.init(status: httpError.status, headers: headers, body: .bytes(body))
    }
}

/// Minimal JSON string escaping, so error bodies need no Foundation.
enum JSONText {
    /// Appends `text` escaped for a JSON string literal (quotes not included).
    static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 9: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<32:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default: out.append(byte)
            }
        }
    }
}
