import Dispatch
import LinearAlgebra

/// AdamW (Loshchilov & Hutter): Adam moments with weight decay decoupled from the gradient, over flat f32
/// parameter tensors. Kept a readable loop (llm.c `gpt2_update` style); it is a small share of a step's time.
public struct AdamW: Sendable {
    /// Hyper-parameters; the learning rate is given per step by a schedule.
    public struct Config: Sendable, Equatable, Codable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        /// Decoupled weight decay (the paper's 0.01), applied only to tensors registered with `decay: true`.
        public var weightDecay: Float = 0.01

        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }
    }

    public let config: Config
    /// Steps taken so far (bias correction depends on it; checkpoints store it).
    public private(set) var step: Int = 0
    /// First and second moments, one flat array per registered tensor: [tensor][element].
    public private(set) var firstMoments: [[Float]]
    public private(set) var secondMoments: [[Float]]
    /// Whether each tensor takes weight decay (norm gains usually do not).
    public let decays: [Bool]

    /// Registers tensors by element count; moments start at zero.
    public init(config: Config = Config(), tensorSizes: [Int], decays: [Bool]? = nil) {
        precondition(decays == nil || decays!.count == tensorSizes.count, "one decay flag per tensor")
        self.config = config
        self.firstMoments = tensorSizes.map { [Float](repeating: 0, count: $0) }
        self.secondMoments = tensorSizes.map { [Float](repeating: 0, count: $0) }
        self.decays = decays ?? [Bool](repeating: true, count: tensorSizes.count)
    }

    /// Restores moments and step from a checkpoint; sizes must match the registered tensors.
    public mutating func restore(step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) throws {
        guard firstMoments.map(\.count) == self.firstMoments.map(\.count),
              secondMoments.map(\.count) == self.secondMoments.map(\.count) else {
            throw AlignmentError.optimizerStateMismatch("moment shapes differ from the registered tensors")
        }
        self.step = step
        self.firstMoments = firstMoments
        self.secondMoments = secondMoments
    }

    /// Advances the step counter; call once per optimizer step, before `update` on each tensor.
    public mutating func beginStep() { step += 1 }

    /// Updates tensor `index` in place from its gradient at learning rate `learningRate`.
    public mutating func update(tensor index: Int, parameters: UnsafeMutableBufferPointer<Float>,
                                gradients: UnsafeBufferPointer<Float>, learningRate: Float) {
        precondition(step > 0, "call beginStep() first")
        precondition(parameters.count == firstMoments[index].count && gradients.count == parameters.count,
                     "tensor \(index) size mismatch")
        let b1 = config.beta1, b2 = config.beta2, eps = config.epsilon
        let correction1 = 1 - pow(b1, step), correction2 = 1 - pow(b2, step)
        let decay = decays[index] ? config.weightDecay : 0
        let count = parameters.count
        // Every element is independent, so ranges of a large tensor run on all cores with the same
        // arithmetic as one loop (bit-identical); the loop is memory-bound (7 floats moved per element).
        let parts = max(1, min(BLAS.threadCount, count / Self.elementsPerPart))
        let per = (count + parts - 1) / parts
        firstMoments[index].withUnsafeMutableBufferPointer { m in
            secondMoments[index].withUnsafeMutableBufferPointer { v in
                nonisolated(unsafe) let p = parameters.baseAddress!, g = gradients.baseAddress!
                nonisolated(unsafe) let m = m.baseAddress!, v = v.baseAddress!
                let body: @Sendable (Int) -> Void = { part in
                    for i in (part * per)..<min(count, (part + 1) * per) {
                        let grad = g[i]
                        m[i] = b1 * m[i] + (1 - b1) * grad
                        v[i] = b2 * v[i] + (1 - b2) * grad * grad
                        let mHat = m[i] / correction1, vHat = v[i] / correction2
                        p[i] -= learningRate * (mHat / (vHat.squareRoot() + eps) + decay * p[i])
                    }
                }
                if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
            }
        }
    }

    /// Tensors smaller than two of these run on one thread (a hand-off costs more than the loop).
    static let elementsPerPart = 1 << 16
}

/// Integer power for bias correction without Foundation.
@inline(__always) private func pow(_ base: Float, _ exponent: Int) -> Float {
    var result: Float = 1, b = base, e = exponent
    while e > 0 {
        if e & 1 == 1 { result *= b }
        b *= b
        e >>= 1
    }
    return result
}
