/// Errors of the Rewards module: all of them concern a reward spec that cannot be used. Scoring problems are not
/// errors but `RewardFailure`s per item.
public enum RewardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The spec is wrong at `path` (a JSON path such as `$.graders.judge.range[1]`).
    case invalidSpec(path: String, message: String)

    /// "path: message", the form the CLI and the API show.
    public var description: String {
        switch self {
        case .invalidSpec(let path, let message): return "\(path): \(message)"
        }
    }

    /// The JSON path of the field at fault.
    public var path: String {
        switch self {
        case .invalidSpec(let path, _): return path
        }
    }
}
