import Testing
@testable import LinearAlgebra

/// `Linear.forward` picks gemv for one row and gemm otherwise; both paths against the naive product.
@Suite struct LinearTests {
    @Test(arguments: [1, 2, 9])
    func forwardMatchesNaive(rows m: Int) {
        var random = TestRandom(seed: UInt64(m))
        let k = 37, n = 53
        let x = FloatBuffer(random.array(m * k))       // [m, k]
        let w = FloatBuffer(random.array(k * n))       // [k, n] input-major
        let y0 = random.array(m * n)
        for accumulate in [false, true] {
            let fast = FloatBuffer(y0), slow = FloatBuffer(y0)
            Linear.forward(m: m, k: k, n: n, x: x.pointer, w: w.pointer, y: fast.pointer, accumulate: accumulate)
            Naive.gemm(transA: false, transB: false, m: m, n: n, k: k, a: x.pointer, lda: k, b: w.pointer, ldb: n,
                       beta: accumulate ? 1 : 0, c: slow.pointer, ldc: n)
            for i in 0..<(m * n) {
                // |x|,|w| < 1: sum|x*w| <= k, so k * k * 2^-24 bounds the f32 dot-product error (+|y0| <= 1).
                #expect(abs(fast[i] - slow[i]) <= Float(2 * (k + 2) * (k + 1)) * 0x1p-24, "row-major index \(i)")
            }
        }
    }

    @Test func bufferStartsZeroAndRoundTrips() {
        let b = FloatBuffer(count: 5)
        #expect(b.array == [0, 0, 0, 0, 0])
        b[2] = 3
        #expect(FloatBuffer(b.array).array == [0, 0, 3, 0, 0])
    }
}
