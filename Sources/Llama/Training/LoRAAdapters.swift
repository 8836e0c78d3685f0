import LinearAlgebra

/// A linear layer a LoRA adapter can attach to (PEFT's `target_modules` names without `_proj`).
public enum LoRATarget: String, CaseIterable, Codable, Sendable, Comparable {
    case q, k, v, o, gate, up, down

    /// Fixed order used for storage and files.
    public var index: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: LoRATarget, b: LoRATarget) -> Bool { a.index < b.index }

    /// Hugging Face module name (`q_proj`, ...) used in PEFT tensor names.
    public var moduleName: String {
        switch self {
        case .q, .k, .v, .o: return "self_attn.\(rawValue)_proj"
        case .gate, .up, .down: return "mlp.\(rawValue)_proj"
        }
    }

    /// Where the adapted projection sits in our fused buffers: input and output widths, the first output
    /// column inside the fused output (= the first row inside the fused [out][in] weight), and the fused
    /// output's row stride.
    public func geometry(_ cfg: LlamaConfig) -> (inputs: Int, outputs: Int, column: Int, ld: Int) {
        let c = cfg.width, qd = cfg.queryWidth, kvd = cfg.kvWidth, f = cfg.ffnWidth
        switch self {
        case .q: return (c, qd, 0, cfg.qkvWidth)
        case .k: return (c, kvd, qd, cfg.qkvWidth)
        case .v: return (c, kvd, qd + kvd, cfg.qkvWidth)
        case .o: return (qd, c, 0, c)
        case .gate: return (c, f, 0, 2 * f)
        case .up: return (c, f, f, 2 * f)
        case .down: return (f, c, 0, c)
        }
    }
}

/// LoRA hyper-parameters (Hu et al.): W' = W + (alpha/rank)·A·B on each targeted projection.
public struct LoRAConfig: Sendable, Equatable, Codable {
    public var rank: Int
    public var alpha: Double
    /// Dropout on the adapter input. Only 0 is implemented (the default; PEFT's benchmark setting).
    public var dropout: Double
    /// Projections that get an adapter.
    public var targets: [LoRATarget]

    /// A config; call `validate()` before use.
    public init(rank: Int = 16, alpha: Double = 32, dropout: Double = 0, targets: [LoRATarget] = LoRATarget.allCases) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = Array(Set(targets)).sorted()
    }

    /// The factor on A·B.
    public var scale: Float { Float(alpha / Double(rank)) }

    /// Refuses a rank or alpha that cannot work, and dropout, which is not implemented.
    public func validate(_ cfg: LlamaConfig) throws {
        let smallest = targets.map { min($0.geometry(cfg).inputs, $0.geometry(cfg).outputs) }.min() ?? 0
        guard !targets.isEmpty else { throw LlamaError.invalidRequest("LoRA needs at least one target module") }
        guard rank >= 1, rank <= smallest else {
            throw LlamaError.invalidRequest("LoRA rank \(rank) must be in 1...\(smallest)")
        }
        guard alpha.isFinite, alpha > 0 else { throw LlamaError.invalidRequest("LoRA alpha \(alpha) must be > 0") }
        guard dropout == 0 else { throw LlamaError.invalidRequest("LoRA dropout \(dropout): only 0 is supported") }
    }
}

/// One adapter in PEFT's layout (and the base weights' [out][in] convention): A = `lora_A.weight` [r, in],
/// B = `lora_B.weight` [out, r]; the projection becomes y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ.
public struct LoRAMatrices: Sendable {
    public let a: FloatBuffer
    public let b: FloatBuffer
}

/// The adapters of every layer; also used, zeroed, as the container of their gradients.
public final class LoRAAdapters: @unchecked Sendable {
    public let config: LoRAConfig
    /// [layer][target.index], nil where the target is not adapted.
    public let layers: [[LoRAMatrices?]]

    /// Zero adapters (A and B both 0): the shape of the gradients.
    public init(config: LoRAConfig, model cfg: LlamaConfig) throws {
        try config.validate(cfg)
        self.config = config
        layers = (0..<cfg.layerCount).map { _ in
            LoRATarget.allCases.map { target in
                guard config.targets.contains(target) else { return nil }
                let g = target.geometry(cfg)
                return LoRAMatrices(a: FloatBuffer(count: config.rank * g.inputs),
                                    b: FloatBuffer(count: g.outputs * config.rank))
            }
        }
    }

    /// PEFT's initialization: A uniform in ±1/sqrt(in) (kaiming-uniform with a = sqrt 5), B = 0, so a
    /// fresh adapter leaves the model unchanged. `bScale` > 0 fills B too (tests need non-zero B).
    public static func initialized(config: LoRAConfig, model cfg: LlamaConfig, seed: UInt64,
                                   bScale: Float = 0) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(config: config, model: cfg)
        var random = SeededRandom(seed: seed)
        for layer in adapters.layers {
            for case let (t, m?) in layer.enumerated() {
                let bound = Float(1 / Double(LoRATarget.allCases[t].geometry(cfg).inputs).squareRoot())
                for i in 0..<m.a.count { m.a.pointer[i] = Float(random.nextUnit() * 2 - 1) * bound }
                if bScale > 0 {
                    for i in 0..<m.b.count { m.b.pointer[i] = Float(random.nextUnit() * 2 - 1) * bScale }
                }
            }
        }
        return adapters
    }

    /// Every tensor with a stable name (`blk.L.q.lora_a`), in storage order: what optimizers and files see.
    public var tensors: [(name: String, buffer: FloatBuffer)] {
        var out: [(String, FloatBuffer)] = []
        for (l, layer) in layers.enumerated() {
            for case let (t, m?) in layer.enumerated() {
                let name = "blk.\(l).\(LoRATarget.allCases[t].rawValue)"
                out.append((name + ".lora_a", m.a))
                out.append((name + ".lora_b", m.b))
            }
        }
        return out
    }

    /// Adapter parameters in total.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.buffer.count } }

    /// Sets every tensor to zero (between optimizer steps, when used for gradients).
    public func zero() { for t in tensors { t.buffer.zero() } }
}
