/// The one error type of the HTTP module. Handlers throw it to answer with a given status; the parser
/// produces it for malformed requests. The server turns it into a response in one place
/// (`HTTPResponse(error:requestID:)`), with the JSON body `{"error": {"code": ..., "message": ...}}`.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// The status to answer with.
    public var status: HTTPStatus
    /// A stable machine-readable code, e.g. `invalid_content_length`.
    public var code: String
    /// A human-readable explanation naming what was wrong.
    public var message: String
    /// Extra response headers (e.g. `Allow` for 405).
    public var headers: HTTPHeaders
    /// Whether the connection must close after the response (framing errors: the rest of the byte
    /// stream cannot be trusted, RFC 9112 §6.3).
    public var closesConnection: Bool

    /// Builds an error response description.
    public init(_ status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = [:], closesConnection: Bool = false) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.closesConnection = closesConnection
    }

    public var description: String { "\(status.code) \(code): \(message)" }
}
