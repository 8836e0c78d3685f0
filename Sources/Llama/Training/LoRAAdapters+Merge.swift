import LinearAlgebra

extension LoRAAdapters {
    /// Weights W + (alpha/r)·A·B for sampling from the adapted policy at full inference speed. The projection
    /// matrices of adapted layers are new buffers; embeddings, norms and the head are shared with `base`
    /// (they are never adapted). Refresh after each update with `merge(base:into:)`.
    public func mergedWeights(base: LlamaWeights, config cfg: LlamaConfig) throws -> LlamaWeights {
        let layers = try base.layers.map { w in
            try LayerWeights(config: cfg, attentionNorm: w.attentionNorm, qkv: FloatBuffer(count: w.qkv.count),
                             attentionOutput: FloatBuffer(count: w.attentionOutput.count), ffnNorm: w.ffnNorm,
                             gateUp: FloatBuffer(count: w.gateUp.count), down: FloatBuffer(count: w.down.count))
        }
        let merged = try LlamaWeights(config: cfg, tokenEmbedding: base.tokenEmbedding, layers: layers,
                                      outputNorm: base.outputNorm, output: base.output)
        try merge(base: base, into: merged, config: cfg)
        return merged
    }

    /// Rewrites the projection matrices of `merged` as base + (alpha/r)·A·B.
    public func merge(base: LlamaWeights, into merged: LlamaWeights, config cfg: LlamaConfig) throws {
        guard layers.count == base.layers.count, merged.layers.count == base.layers.count else {
            throw LlamaError.invalidRequest("merge: adapters, base and merged weights differ in layer count")
        }
        let r = config.rank, s = config.scale
        // Layers are independent: each worker merges whole layers (copy and product) with OpenBLAS
        // single-threaded, so both cores stream through the 425 MB without OpenBLAS's threads spinning.
        let workers = min(TrainingThreads.workers, base.layers.count)
        TrainingThreads.run(workers: workers) { worker in
            for l in stride(from: worker, to: base.layers.count, by: workers) {
                let w = base.layers[l], out = merged.layers[l]
                for (src, dst) in [(w.qkv, out.qkv), (w.attentionOutput, out.attentionOutput), (w.gateUp, out.gateUp),
                                   (w.down, out.down)] where src !== dst {
                    dst.pointer.update(from: src.pointer, count: src.count)
                }
                for case let (t, m?) in layers[l].enumerated() {
                    let target = LoRATarget.allCases[t]
                    let g = target.geometry(cfg)
                    let matrix: FloatBuffer
                    switch target {
                    case .q, .k, .v: matrix = out.qkv
                    case .o: matrix = out.attentionOutput
                    case .gate, .up: matrix = out.gateUp
                    case .down: matrix = out.down
                    }
                    // W[row..<row+out, :] [out, in] += s · B [out, r] · A [r, in]
                    BLAS.gemm(transA: false, transB: false, m: g.outputs, n: g.inputs, k: r, alpha: s, a: m.b.pointer,
                              lda: r, b: m.a.pointer, ldb: g.inputs, beta: 1, c: matrix.pointer + g.column * g.inputs,
                              ldc: g.inputs)
                }
            }
        }
    }
}
