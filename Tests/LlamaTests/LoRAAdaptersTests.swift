import Testing
@testable import LinearAlgebra
@testable import Llama

/// LoRA against its definition W' = W + s·B·A ([out][in] layout): the adapted forward equals the base forward on merged
/// weights, and by the chain rule (W' [out, in], A [r, in], B [out, r]) dL/dA = s·Bᵀ·dL/dW' and dL/dB = s·dL/dW'·Aᵀ, where dL/dW' is the
/// full-fine-tuning gradient of the merged model (itself finite-difference checked). Tolerances: merging
/// rounds W' to f32 (~1e-7 relative), so log-probs agree to 1e-5 and gradients to 1e-4 relative.
@Suite struct LoRAAdaptersTests {
    static let pairs = GradientCheckTests.pairs

    @Test(arguments: [[LoRATarget.q, .k, .v, .o, .gate, .up, .down], [.v, .down], [.q]])
    func adapterGradientsFollowTheChainRule(targets: [LoRATarget]) throws {
        let model = try TinyModels.model(tied: true, seed: 3)
        let cfg = model.config
        let lora = LoRAConfig(rank: 3, alpha: 6, targets: targets)
        let adapters = try LoRAAdapters.initialized(config: lora, model: cfg, seed: 9, bScale: 0.2)
        let merged = try LlamaModel(config: cfg, weights: try adapters.mergedWeights(base: model.weights, config: cfg))
        let batch = try TrainingBatch(pairs: Self.pairs, config: cfg)
        let weights = GradientCheckTests.lossWeights(batch, seed: 4)

        let activations = TrainingActivations()
        // The head's hidden gradient comes from the forward pass here (as PolicyTrainer runs LoRA), from the
        // backward's logits recompute in the merged model's full-gradient pass below: both paths are compared.
        let adapted = try model.trainingForward(batch, adapters: adapters, activations: activations, headGradient: true)
        let adapterGradients = try LoRAAdapters(config: lora, model: cfg)
        try model.trainingBackward(batch, targetWeights: weights, adapters: adapters, activations: activations,
                                   gradients: nil, adapterGradients: adapterGradients)

        let mergedActivations = TrainingActivations()
        let reference = try merged.trainingForward(batch, activations: mergedActivations)
        let full = LlamaGradients(config: cfg)
        try merged.trainingBackward(batch, targetWeights: weights, activations: mergedActivations, gradients: full)
        for (a, b) in zip(adapted, reference) { #expect(abs(a - b) < 1e-5) }
        let base = try model.trainingForward(batch, activations: TrainingActivations())
        #expect(zip(adapted, base).contains { abs($0 - $1) > 1e-3 }, "non-zero B must change the model")

        let r = lora.rank, s = Double(lora.scale)
        for l in 0..<cfg.layerCount {
            for target in targets {
                let g = target.geometry(cfg)
                let m = adapters.layers[l][target.index]!, dm = adapterGradients.layers[l][target.index]!
                let dW: FloatBuffer
                switch target {
                case .q, .k, .v: dW = full.layers[l].qkv
                case .o: dW = full.layers[l].attentionOutput
                case .gate, .up: dW = full.layers[l].gateUp
                case .down: dW = full.layers[l].down
                }
                func dWAt(_ o: Int, _ i: Int) -> Double { Double(dW.pointer[(g.column + o) * g.inputs + i]) }
                var worst = 0.0, scale = 0.0
                for k in 0..<r {
                    for i in 0..<g.inputs {  // dA[k, i] = s · Σ_o B[o, k] · dW'[o, i]
                        var expected = 0.0
                        for o in 0..<g.outputs { expected += Double(m.b.pointer[o * r + k]) * dWAt(o, i) }
                        expected *= s
                        worst = max(worst, abs(expected - Double(dm.a.pointer[k * g.inputs + i])))
                        scale = max(scale, abs(expected))
                    }
                }
                for o in 0..<g.outputs {
                    for k in 0..<r {  // dB[o, k] = s · Σ_i dW'[o, i] · A[k, i]
                        var expected = 0.0
                        for i in 0..<g.inputs { expected += dWAt(o, i) * Double(m.a.pointer[k * g.inputs + i]) }
                        expected *= s
                        worst = max(worst, abs(expected - Double(dm.b.pointer[o * r + k])))
                        scale = max(scale, abs(expected))
                    }
                }
                #expect(scale > 0 && worst <= 1e-4 * scale, "layer \(l) \(target): max error \(worst) of \(scale)")
            }
        }
    }

    @Test func freshAdaptersLeaveTheModelUnchanged() throws {
        let model = try TinyModels.model()
        let adapters = try LoRAAdapters.initialized(config: LoRAConfig(rank: 4, alpha: 8), model: model.config, seed: 1)
        let batch = try TrainingBatch(pairs: Self.pairs, config: model.config)
        let with = try model.trainingForward(batch, adapters: adapters, activations: TrainingActivations())
        let without = try model.trainingForward(batch, activations: TrainingActivations())
        #expect(with == without)
        // rank · (in + out) per module: q 32+32, k 32+16, v 32+16, o 32+32, gate 32+48, up 32+48, down 48+32
        #expect(adapters.parameterCount == 2 * 4 * (64 + 48 + 48 + 64 + 80 + 80 + 80))
    }

    @Test func refusesBadConfigs() throws {
        let cfg = TinyModels.config()
        #expect(throws: LlamaError.self) { try LoRAConfig(rank: 0).validate(cfg) }
        #expect(throws: LlamaError.self) { try LoRAConfig(rank: 17).validate(cfg) }  // k/v are 16 wide
        #expect(throws: LlamaError.self) { try LoRAConfig(rank: 2, alpha: -1).validate(cfg) }
        #expect(throws: LlamaError.self) { try LoRAConfig(rank: 2, dropout: 0.1).validate(cfg) }
        #expect(throws: LlamaError.self) { try LoRAConfig(rank: 2, targets: []).validate(cfg) }
    }
}
