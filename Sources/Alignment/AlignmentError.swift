/// Errors of the Alignment module; each names what is wrong.
public enum AlignmentError: Error, Equatable, CustomStringConvertible {
    case optimizerStateMismatch(String)
    case invalidSchedule(String)
    /// A trainer setting, item or checkpoint that cannot be used (what and why).
    case invalidTraining(String)

    public var description: String {
        switch self {
        case .optimizerStateMismatch(let why): return "optimizer state does not fit the model: \(why)"
        case .invalidSchedule(let why): return "invalid learning-rate schedule: \(why)"
        case .invalidTraining(let why): return "training: \(why)"
        }
    }
}
