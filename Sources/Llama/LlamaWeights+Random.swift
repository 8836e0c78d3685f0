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
                config: config, attentionNorm: gain(c), qkv: matrix(c * config.qkvWidth),
                attentionOutput: matrix(config.queryWidth * c), ffnNorm: gain(c), gateUp: matrix(c * 2 * f),
                down: matrix(f * c)))
        }
        let outputT = FloatBuffer(count: v * c)
        if config.tiedOutput {
            transpose(embedding.pointer, rows: v, cols: c, into: outputT.pointer, ldd: v)
        } else {
            let head = matrix(v * c)
            outputT.pointer.update(from: head.pointer, count: v * c)
        }
        return try LlamaWeights(config: config, tokenEmbedding: embedding, layers: layers, outputNorm: gain(c),
                                outputT: outputT)
    }
}
