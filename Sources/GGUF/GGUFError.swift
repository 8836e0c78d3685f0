/// The one error type of the GGUF module: what is wrong and, when it comes from the file, the byte offset where the
/// offending field starts, so a corrupt or hostile file can be diagnosed with a hex dump.
public struct GGUFError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The category of the problem, for callers that branch on it (tests mostly).
    public enum Kind: String, Sendable {
        case io
        case truncated
        case badMagic
        case unsupportedVersion
        case invalidValue
        case invalidString
        case duplicateKey
        case duplicateTensor
        case badAlignment
        case unsupportedTensorType
        case badTensor
        case missingKey
        case typeMismatch
        case missingTensor
        case badArgument
    }

    /// What kind of problem this is.
    public let kind: Kind
    /// Byte offset in the file where the offending field starts; nil when the problem is not tied to one place.
    public let offset: Int?
    /// Human-readable explanation naming the field or tensor at fault.
    public let message: String

    /// Makes an error; `offset` is the file position of the field at fault when there is one.
    public init(_ kind: Kind, at offset: Int? = nil, _ message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    /// One line for logs and HTTP error bodies: kind, offset when known, message.
    public var description: String {
        if let offset { return "GGUF \(kind.rawValue) at byte \(offset): \(message)" }
        return "GGUF \(kind.rawValue): \(message)"
    }
}
