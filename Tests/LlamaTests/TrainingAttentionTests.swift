import Foundation
import Testing
@testable import LinearAlgebra
@testable import Llama

/// The block-causal, multi-worker attention of the training passes against a naive Double reference of
/// causal grouped-query attention and its gradient, for block sizes that split sequences into many
/// blocks (1, 3), one block (64), and 1 or 2 workers. Tolerance 1e-5 absolute on values of order 1: the
/// f32 kernels differ from the reference by rounding only (sums over at most 13 keys and 8 dimensions).
@Suite struct TrainingAttentionTests {
    /// Causal attention outputs [N][QD] and d(Σ out·g)/d qkv [N][QKV] in Double, per sequence.
    static func reference(_ cfg: LlamaConfig, batch: TrainingBatch, qkv: [Float], g: [Float])
        -> (out: [Double], dQKV: [Double]) {
        let hd = cfg.headDim, qkvw = cfg.qkvWidth, qd = cfg.queryWidth, kvd = cfg.kvWidth
        let group = cfg.headCount / cfg.kvHeadCount, scale = 1 / Double(hd).squareRoot()
        var out = [Double](repeating: 0, count: batch.rowCount * qd)
        var dQKV = [Double](repeating: 0, count: batch.rowCount * qkvw)
        func x(_ row: Int, _ col: Int) -> Double { Double(qkv[row * qkvw + col]) }
        for (start, t) in zip(batch.starts, batch.lengths) {
            for h in 0..<cfg.headCount {
                let kvh = h / group, qc = h * hd, kc = qd + kvh * hd, vc = qd + kvd + kvh * hd
                for i in 0..<t {
                    let scores = (0...i).map { j in (0..<hd).reduce(0.0) { $0 + x(start + i, qc + $1) * x(start + j, kc + $1) } * scale }
                    let m = scores.max()!, e = scores.map { Foundation.exp($0 - m) }, sum = e.reduce(0, +)
                    let p = e.map { $0 / sum }
                    let dOut = (0..<hd).map { Double(g[(start + i) * qd + qc + $0]) }
                    for d in 0..<hd { out[(start + i) * qd + qc + d] = (0...i).reduce(0.0) { $0 + p[$1] * x(start + $1, vc + d) } }
                    // dP_j = dO·v_j; dS_j = P_j (dP_j − Σ P dP)
                    let dP = (0...i).map { j in (0..<hd).reduce(0.0) { $0 + dOut[$1] * x(start + j, vc + $1) } }
                    let dot = zip(p, dP).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for j in 0...i {
                        let dS = p[j] * (dP[j] - dot) * scale
                        for d in 0..<hd {
                            dQKV[(start + i) * qkvw + qc + d] += dS * x(start + j, kc + d)
                            dQKV[(start + j) * qkvw + kc + d] += dS * x(start + i, qc + d)
                            dQKV[(start + j) * qkvw + vc + d] += p[j] * dOut[d]
                        }
                    }
                }
            }
        }
        return (out, dQKV)
    }

    @Test(arguments: [1, 3, 64], [1, 2])
    func matchesNaiveAttention(blockRows: Int, workers: Int) throws {
        let model = try TinyModels.model()
        let cfg = model.config
        let pairs = [ScoringPair(prompt: [1, 2, 3, 4, 5, 6, 7], completion: [8, 9, 10, 11, 12, 13, 14]),
                     ScoringPair(prompt: [5], completion: [6, 7]), ScoringPair(prompt: [9], completion: []),
                     ScoringPair(prompt: [3, 4, 5, 6], completion: [1])]
        let batch = try TrainingBatch(pairs: pairs, config: cfg)
        let n = batch.rowCount, t = batch.lengths.max()!
        var random = SeededRandom(seed: 4)
        let qkv = FloatBuffer((0..<(n * cfg.qkvWidth)).map { _ in Float(random.nextUnit() * 2 - 1) })
        let g = FloatBuffer((0..<(n * cfg.queryWidth)).map { _ in Float(random.nextUnit() * 2 - 1) })
        let scores = FloatBuffer(count: workers * blockRows * t), dScores = FloatBuffer(count: workers * blockRows * t)
        let out = FloatBuffer(count: n * cfg.queryWidth)
        let dQKV = FloatBuffer((0..<(n * cfg.qkvWidth)).map { _ in Float.nan })  // must be fully overwritten
        model.trainingAttentionForward(batch, qkv: qkv.pointer, out: out.pointer, scores: scores.pointer,
                                       workers: workers, blockRows: blockRows)
        model.trainingAttentionBackward(batch, qkv: qkv.pointer, dOut: g.pointer, dQKV: dQKV.pointer,
                                        scores: scores.pointer, dScores: dScores.pointer, workers: workers,
                                        blockRows: blockRows)
        let expected = Self.reference(cfg, batch: batch, qkv: qkv.array, g: g.array)
        for (i, (a, b)) in zip(out.array, expected.out).enumerated() { #expect(abs(Double(a) - b) < 1e-5, "out[\(i)]") }
        for (i, (a, b)) in zip(dQKV.array, expected.dQKV).enumerated() { #expect(abs(Double(a) - b) < 1e-5, "dQKV[\(i)]") }
    }
}
