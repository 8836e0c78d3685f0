/// Everything that can go wrong in the model module, each case naming the value at fault so that the
/// CLI and the HTTP layer can show it as is.
public enum LlamaError: Error, Equatable, CustomStringConvertible {
    /// A metadata key is missing or has the wrong type (key, what was expected).
    case metadata(key: String, problem: String)
    /// A configuration value is out of range or inconsistent with another.
    case invalidConfig(String)
    /// A weight tensor is missing or has an unexpected shape (tensor name, problem).
    case tensor(name: String, problem: String)
    /// A token id outside the vocabulary (where it was found).
    case tokenOutOfRange(token: Int, vocabSize: Int, context: String)
    /// A request that cannot run as asked (e.g. empty prompt, too long for the context).
    case invalidRequest(String)
    /// A KV cache would overflow its capacity.
    case cacheFull(capacity: Int, needed: Int)

    public var description: String {
        switch self {
        case let .metadata(key, problem): return "GGUF metadata '\(key)': \(problem)"
        case let .invalidConfig(message): return "invalid model configuration: \(message)"
        case let .tensor(name, problem): return "tensor '\(name)': \(problem)"
        case let .tokenOutOfRange(token, vocabSize, context):
            return "token id \(token) in \(context) is outside the vocabulary [0, \(vocabSize))"
        case let .invalidRequest(message): return "invalid request: \(message)"
        case let .cacheFull(capacity, needed): return "KV cache holds \(capacity) positions, \(needed) needed"
        }
    }
}
