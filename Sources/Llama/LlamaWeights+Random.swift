import LinearAlgebra

extension LlamaWeights {
    /// Random weights for tests: uniform(-scale, scale) matrices, norm gains near 1, all from a seed,
    /// so that tiny models of any shape can be built in-process without a file.
    public static func random(config: LlamaConfig, seed: UInt64, scale: Float = 0.2) throws -> LlamaWeights {
        try config.validate()
        var random = SeededRandom(seed: seed)
        func matrix(_ count: Int) -> FloatBuffer {
            let b = FloatBuffer(count: count)
            for i in 0..<count { b.pointer[i] = Float(random.nextUnit() * 2 - 1) * scale }
            return b
        }
        func gain(_ count: Int) -> FloatBuffer {
            let b = FloatBuffer(count: count)
            for i in 0..<count { b.pointer[i] = 1 + Float(random.nextUnit() - 0.5) * 0.2 }
            return b
        }
        let c = config.width, v = config.vocabSize, f = config.ffnWidth
        let embedding = matrix(v * c)
        var layers: [LayerWeights] = []
        for _ in 0..<config.layerCount {
            layers.append(try LayerWeights(
                config: config, attentionNorm: gain(c), qkv: matrix(config.qkvWidth * c),
                attentionOutput: matrix(config.queryWidth * c), ffnNorm: gain(c), gateUp: matrix(2 * f * c),
                down: matrix(c * f)))
        }
        let output = config.tiedOutput ? embedding : matrix(v * c)
        return try LlamaWeights(config: config, tokenEmbedding: embedding, layers: layers, outputNorm: gain(c),
                                output: output)
    }
}
