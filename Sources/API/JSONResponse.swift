import Foundation
import HTTP

/// JSON response bodies from Foundation values (dictionaries, arrays, strings, numbers, `NSNull`).
public enum JSONResponse {
    /// A response with `object` serialized (keys sorted, so bodies are stable). Non-finite numbers must have been
    /// replaced (see `number`): JSON has no NaN, and serializing one would fail the request.
    public static func make(_ object: Any, status: HTTPStatus = .ok) throws -> HTTPResponse {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return HTTPResponse.json([UInt8](data), status: status)
    }

    /// A number for a JSON body, or null when it is not finite.
    public static func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    /// A Float for a JSON body (as the Double it widens to exactly), or null when it is not finite.
    public static func number(_ value: Float) -> Any { number(Double(value)) }
}
