import Foundation

/// Learning rate per optimizer step: linear warmup, then constant or cosine decay.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// The shape after warmup.
    public enum Decay: String, Sendable, Codable {
        case constant
        case cosine
    }

    public var peak: Double
    public var warmupSteps: Int
    public var decay: Decay
    /// Total steps, needed by cosine to know where it ends.
    public var totalSteps: Int
    /// Floor of the cosine as a fraction of the peak.
    public var minimumRatio: Double

    /// Validates the numbers so that a run never starts with a schedule that yields NaN or negative rates.
    public init(peak: Double, warmupSteps: Int = 0, decay: Decay = .constant, totalSteps: Int = 0,
                minimumRatio: Double = 0) throws {
        guard peak.isFinite, peak > 0 else { throw AlignmentError.invalidSchedule("peak must be > 0, got \(peak)") }
        guard warmupSteps >= 0 else { throw AlignmentError.invalidSchedule("warmup_steps must be >= 0") }
        guard (0...1).contains(minimumRatio) else { throw AlignmentError.invalidSchedule("min ratio must be in [0, 1]") }
        if decay == .cosine, totalSteps <= warmupSteps {
            throw AlignmentError.invalidSchedule("cosine needs total_steps (\(totalSteps)) > warmup_steps (\(warmupSteps))")
        }
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.decay = decay
        self.totalSteps = totalSteps
        self.minimumRatio = minimumRatio
    }

    /// The rate for 1-based optimizer step `step`.
    public func rate(atStep step: Int) -> Double {
        if step <= warmupSteps { return peak * Double(step) / Double(warmupSteps) }
        switch decay {
        case .constant:
            return peak
        case .cosine:
            let progress = min(1, Double(step - warmupSteps) / Double(totalSteps - warmupSteps))
            let cosine = 0.5 * (1 + cos(Double.pi * progress))
            return peak * (minimumRatio + (1 - minimumRatio) * cosine)
        }
    }
}
