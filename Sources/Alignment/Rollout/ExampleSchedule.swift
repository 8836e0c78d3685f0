import Llama

/// Which examples a step trains on: the dataset shuffled once by the seed, then taken `perStep` at a time,
/// wrapping around. Step k's batch depends only on (count, seed, perStep, k), so a resumed run continues where
/// it stopped.
public struct ExampleSchedule: Sendable, Equatable {
    /// Dataset indices in training order.
    public let order: [Int]
    public let perStep: Int

    /// A schedule over `count` examples; both numbers must be >= 1.
    public init(count: Int, perStep: Int, seed: UInt64) throws {
        guard count >= 1 else { throw AlignmentError.invalidTraining("the dataset has no examples") }
        guard perStep >= 1 else { throw AlignmentError.invalidTraining("prompts_per_step must be >= 1, got \(perStep)") }
        var order = Array(0..<count)
        var random = SeededRandom(seed: seed)
        order.shuffle(using: &random)
        self.order = order
        self.perStep = perStep
    }

    /// Dataset indices of 0-based step `step`'s batch.
    public func batch(step: Int) -> [Int] {
        let start = (step * perStep) % order.count
        return (0..<perStep).map { order[(start + $0) % order.count] }
    }
}
