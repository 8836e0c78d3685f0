import Testing
@testable import LinearAlgebra

/// The decode attention helpers against plain loops (odd head width exercises the scalar tail).
@Suite struct AttentionRowTests {
    @Test(arguments: [8, 64, 13])
    func dotsAndWeightedSums(headDim hd: Int) {
        var random = TestRandom(seed: UInt64(hd))
        let n = 11, ld = hd + 5
        let q = random.array(hd), rows = random.array(n * ld), w = random.array(n), out0 = random.array(hd)
        var scores = [Float](repeating: 0, count: n)
        var out = out0
        q.withUnsafeBufferPointer { qp in
            rows.withUnsafeBufferPointer { rp in
                scores.withUnsafeMutableBufferPointer {
                    AttentionRow.dots(q: qp.baseAddress!, keys: rp.baseAddress!, ld: ld, count: n, headDim: hd, scale: 0.5,
                                      scores: $0.baseAddress!)
                }
                w.withUnsafeBufferPointer { wp in
                    out.withUnsafeMutableBufferPointer {
                        AttentionRow.weightedSum(weights: wp.baseAddress!, values: rp.baseAddress!, ld: ld, count: n,
                                                 headDim: hd, out: $0.baseAddress!)
                    }
                }
            }
        }
        // Inputs in [-1, 1): sums of at most 64 products, bound (k+2)·k·2^-24 as in BLASTests.
        let bound = Float((hd + n + 2) * (hd + n)) * 0x1p-24
        for t in 0..<n {
            var s: Double = 0
            for d in 0..<hd { s += Double(q[d]) * Double(rows[t * ld + d]) }
            #expect(abs(Double(scores[t]) - 0.5 * s) <= Double(bound))
        }
        for d in 0..<hd {
            var s = Double(out0[d])
            for t in 0..<n { s += Double(w[t]) * Double(rows[t * ld + d]) }
            #expect(abs(Double(out[d]) - s) <= Double(bound))
        }
    }
}
