import Testing
@testable import LinearAlgebra
@testable import Llama

/// Finite-difference checks of the backward pass, every parameter tensor of tiny random models.
///
/// The loss L = Σ_t w_t·log π(target_t) (random w, as an objective's token weights would be) is evaluated
/// by the independent naive `ReferenceLlama` in Double, so the finite differences carry no f32 noise:
/// the actual perturbation is the exact difference of the two f32 values written, and with h = 1e-3 per
/// element (a total step norm of 2e-3 for directional derivatives over a whole tensor) the central
/// difference's truncation error is O(h²) ≈ 1e-6 relative. The analytic gradients are f32 (BLAS,
/// f32 softmax), good to ~1e-5 relative; the tolerances (2e-4 relative on directional derivatives,
/// 1e-4 + 1e-3·|g| per element) leave room for that and still catch any wrong term, which is O(1) off.
@Suite struct GradientCheckTests {
    static let pairs = [
        ScoringPair(prompt: [1, 2, 3], completion: [4, 5, 6, 7]),
        ScoringPair(prompt: [9], completion: [10, 60]),
        ScoringPair(prompt: [60, 59, 58, 57, 56], completion: [0, 1, 1]),
        ScoringPair(prompt: [5, 5], completion: []),
    ]

    static func lossWeights(_ batch: TrainingBatch, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        return (0..<batch.targetCount).map { _ in Float(random.nextUnit() * 2 - 1) }
    }

    /// L in Double from the naive reference.
    static func referenceLoss(_ model: LlamaModel, weights: [Float], batch: TrainingBatch) -> Double {
        let reference = ReferenceLlama(config: model.config, weights: model.weights)
        let perPair = batch.perPair(weights)
        var loss = 0.0
        for (pair, w) in zip(batch.pairs, perPair) where !pair.completion.isEmpty {
            let lp = reference.logProbs(prompt: pair.prompt, completion: pair.completion)
            for (a, b) in zip(lp, w) { loss += a * Double(b) }
        }
        return loss
    }

    /// Runs `body` with `buffer[i] += delta[i]` written in f32 (a tied head shares the embedding's buffer, so
    /// it moves with it), restores the values, and
    /// returns body's result and the exact applied change per element.
    static func perturbed(_ model: LlamaModel, _ buffer: FloatBuffer, _ delta: [Int: Float],
                          _ body: () -> Double) -> (Double, [Int: Double]) {
        var saved: [Int: Float] = [:], applied: [Int: Double] = [:]
        for (i, d) in delta {
            saved[i] = buffer.pointer[i]
            buffer.pointer[i] += d
            applied[i] = Double(buffer.pointer[i]) - Double(saved[i]!)
        }
        let value = body()
        for (i, v) in saved { buffer.pointer[i] = v }
        return (value, applied)
    }

    @Test(arguments: [true, false])
    func everyTensorMatchesFiniteDifferences(tied: Bool) throws {
        let model = try TinyModels.model(tied: tied, seed: 7)
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let weights = Self.lossWeights(batch, seed: 3)
        let activations = TrainingActivations()
        _ = try model.trainingForward(batch, activations: activations, chunkRows: 4)
        let gradients = LlamaGradients(config: model.config)
        try model.trainingBackward(batch, targetWeights: weights, activations: activations, gradients: gradients)

        let params = model.weights.trainableTensors(tied: tied), grads = gradients.tensors
        #expect(params.map(\.name) == grads.map(\.name))
        #expect(params.count == 3 + 6 * model.config.layerCount - (tied ? 1 : 0))
        let h: Float = 1e-3
        var random = SeededRandom(seed: 11)
        for (param, grad) in zip(params, grads) {
            // Directional derivative along a random ±1 direction over the whole tensor.
            // The step is scaled to a total norm of 2e-3 so that the O(|step|³) error stays ~1e-6 relative.
            let step = 2e-3 / Float(param.buffer.count).squareRoot()
            var plus: [Int: Float] = [:], minus: [Int: Float] = [:]
            for i in 0..<param.buffer.count {
                let sign: Float = random.next() & 1 == 0 ? 1 : -1
                plus[i] = sign * step
                minus[i] = -sign * step
            }
            let (lPlus, dPlus) = Self.perturbed(model, param.buffer, plus) {
                Self.referenceLoss(model, weights: weights, batch: batch)
            }
            let (lMinus, dMinus) = Self.perturbed(model, param.buffer, minus) {
                Self.referenceLoss(model, weights: weights, batch: batch)
            }
            var predicted = 0.0
            for i in 0..<param.buffer.count { predicted += Double(grad.buffer.pointer[i]) * (dPlus[i]! - dMinus[i]!) }
            let measured = lPlus - lMinus
            #expect(abs(measured - predicted) <= 2e-4 * abs(measured) + 1e-9,
                    "\(param.name): directional FD \(measured) vs analytic \(predicted)")

            // A few single elements.
            for _ in 0..<4 {
                let i = Int(random.next() % UInt64(param.buffer.count))
                let (up, a) = Self.perturbed(model, param.buffer, [i: h]) { Self.referenceLoss(model, weights: weights, batch: batch) }
                let (down, b) = Self.perturbed(model, param.buffer, [i: -h]) { Self.referenceLoss(model, weights: weights, batch: batch) }
                let fd = (up - down) / (a[i]! - b[i]!)
                let g = Double(grad.buffer.pointer[i])
                #expect(abs(fd - g) <= 1e-4 + 1e-3 * abs(g), "\(param.name)[\(i)]: FD \(fd) vs analytic \(g)")
            }
        }
    }

    @Test func gradientsAccumulateAcrossCalls() throws {
        let model = try TinyModels.model()
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let weights = Self.lossWeights(batch, seed: 5)
        let activations = TrainingActivations()
        let once = LlamaGradients(config: model.config), twice = LlamaGradients(config: model.config)
        _ = try model.trainingForward(batch, activations: activations)
        try model.trainingBackward(batch, targetWeights: weights, activations: activations, gradients: once)
        for _ in 0..<2 {
            _ = try model.trainingForward(batch, activations: activations)
            try model.trainingBackward(batch, targetWeights: weights, activations: activations, gradients: twice)
        }
        for (a, b) in zip(once.tensors, twice.tensors) {
            for i in 0..<a.buffer.count {
                #expect(abs(2 * a.buffer.pointer[i] - b.buffer.pointer[i]) <= 1e-5 * (1 + abs(b.buffer.pointer[i])))
            }
        }
    }
}
