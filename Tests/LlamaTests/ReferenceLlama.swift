import Foundation
@testable import LinearAlgebra
@testable import Llama

/// An independent, deliberately naive Llama forward pass for the tests: one sequence, full
/// recompute, Double arithmetic, explicit loops, no cache and no BLAS. Fast kernels are measured
/// against it.
struct ReferenceLlama {
    let config: LlamaConfig
    let weights: LlamaWeights

    /// y[o] = Σ_i W[offset + o][i] · x[i] for a matrix stored [out][in], using rows offset..<offset+outputs.
    private func project(_ x: [Double], _ w: FloatBuffer, offset: Int, outputs: Int) -> [Double] {
        (0..<outputs).map { o in
            var sum = 0.0
            for i in x.indices { sum += x[i] * Double(w.pointer[(offset + o) * x.count + i]) }
            return sum
        }
    }

    private func rmsNorm(_ x: [Double], _ gain: FloatBuffer) -> [Double] {
        let meanSquare = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
        let scale = 1 / (meanSquare + Double(config.normEpsilon)).squareRoot()
        return x.indices.map { x[$0] * scale * Double(gain.pointer[$0]) }
    }

    /// Interleaved-pair rotation of every head at position `p`.
    private func rope(_ x: [Double], heads: Int, position p: Int) -> [Double] {
        var y = x
        let hd = config.headDim
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                let angle = Double(p) * pow(Double(config.ropeBase), -2 * Double(i) / Double(hd))
                let a = x[h * hd + 2 * i], b = x[h * hd + 2 * i + 1]
                y[h * hd + 2 * i] = a * cos(angle) - b * sin(angle)
                y[h * hd + 2 * i + 1] = a * sin(angle) + b * cos(angle)
            }
        }
        return y
    }

    /// Logits [T][V] for every position of `tokens`.
    func logits(_ tokens: [Int]) -> [[Double]] {
        let c = config.width, hd = config.headDim, qd = config.queryWidth, kvd = config.kvWidth
        let f = config.ffnWidth, v = config.vocabSize
        var x = tokens.map { t in (0..<c).map { Double(weights.tokenEmbedding.pointer[t * c + $0]) } }
        for layer in weights.layers {
            var qs: [[Double]] = [], ks: [[Double]] = [], vs: [[Double]] = []
            for (p, row) in x.enumerated() {
                let n = rmsNorm(row, layer.attentionNorm)
                qs.append(rope(project(n, layer.qkv, offset: 0, outputs: qd), heads: config.headCount, position: p))
                ks.append(rope(project(n, layer.qkv, offset: qd, outputs: kvd), heads: config.kvHeadCount, position: p))
                vs.append(project(n, layer.qkv, offset: qd + kvd, outputs: kvd))
            }
            let group = config.headCount / config.kvHeadCount
            for p in x.indices {
                var attended = [Double](repeating: 0, count: qd)
                for h in 0..<config.headCount {
                    let kvh = h / group
                    var scores = (0...p).map { t in
                        (0..<hd).reduce(0.0) { $0 + qs[p][h * hd + $1] * ks[t][kvh * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for t in 0...p {
                        for d in 0..<hd { attended[h * hd + d] += scores[t] / z * vs[t][kvh * hd + d] }
                    }
                }
                let o = project(attended, layer.attentionOutput, offset: 0, outputs: c)
                for i in 0..<c { x[p][i] += o[i] }
                let n = rmsNorm(x[p], layer.ffnNorm)
                let gate = project(n, layer.gateUp, offset: 0, outputs: f)
                let up = project(n, layer.gateUp, offset: f, outputs: f)
                let hidden = (0..<f).map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let d = project(hidden, layer.down, offset: 0, outputs: c)
                for i in 0..<c { x[p][i] += d[i] }
            }
        }
        return x.map { project(rmsNorm($0, weights.outputNorm), weights.output, offset: 0, outputs: v) }
    }

    /// Per-token log-probs of `completion` after `prompt`.
    func logProbs(prompt: [Int], completion: [Int]) -> [Double] {
        let all = logits(prompt + completion)
        return completion.indices.map { j in
            let row = all[prompt.count - 1 + j]
            let m = row.max()!
            return row[completion[j]] - (m + log(row.reduce(0) { $0 + exp($1 - m) }))
        }
    }
}

/// Tiny model shapes used across the tests: GQA (4 query heads over 2 KV heads), a vocabulary that
/// is not a power of two, untied and tied heads.
enum TinyModels {
    static func config(tied: Bool = true, contextLength: Int = 64) -> LlamaConfig {
        LlamaConfig(layerCount: 2, width: 32, headCount: 4, kvHeadCount: 2, headDim: 8, ffnWidth: 48,
                    vocabSize: 61, contextLength: contextLength, ropeBase: 10000, normEpsilon: 1e-5, tiedOutput: tied)
    }

    static func model(tied: Bool = true, seed: UInt64 = 1, contextLength: Int = 64) throws -> LlamaModel {
        let cfg = config(tied: tied, contextLength: contextLength)
        return try LlamaModel(config: cfg, weights: try LlamaWeights.random(config: cfg, seed: seed, scale: 0.3))
    }

    /// Logits [rows][V] of the hidden rows a forward pass returned.
    static func logits(_ model: LlamaModel, _ hidden: FloatBuffer) -> [[Float]] {
        let c = model.config.width, v = model.config.vocabSize
        let rows = hidden.count / c
        let out = FloatBuffer(count: rows * v)
        model.logits(hidden: hidden.pointer, rows: rows, into: out.pointer)
        return (0..<rows).map { r in Array(out.array[(r * v)..<((r + 1) * v)]) }
    }
}
