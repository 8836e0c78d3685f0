import Testing
@testable import LinearAlgebra

/// `Linear.forward` (small-batch kernel for up to 16 rows, gemv/gemm beyond or without AVX2) against
/// the naive product, on shapes with odd widths and a k that is not a multiple of 8 (kernel tails).
@Suite struct LinearTests {
    @Test(arguments: [1, 2, 3, 4, 5, 8, 9, 16, 17, 40])
    func forwardMatchesNaive(rows m: Int) {
        var random = TestRandom(seed: UInt64(m))
        for (k, n) in [(37, 53), (64, 300), (576, 2)] {
            let x = FloatBuffer(random.array(m * k))       // [m, k]
            let w = FloatBuffer(random.array(n * k))       // [n, k]: stored [out][in]
            let y0 = random.array(m * n)
            for accumulate in [false, true] {
                let fast = FloatBuffer(y0), slow = FloatBuffer(y0)
                Linear.forward(m: m, k: k, n: n, x: x.pointer, w: w.pointer, y: fast.pointer, accumulate: accumulate)
                Naive.gemm(transA: false, transB: true, m: m, n: n, k: k, a: x.pointer, lda: k, b: w.pointer, ldb: k,
                           beta: accumulate ? 1 : 0, c: slow.pointer, ldc: n)
                for i in 0..<(m * n) {
                    // |x|,|w| < 1: sum|x*w| <= k, so 2(k+2)·k·2^-24 bounds the f32 error (+|y0| <= 1).
                    #expect(abs(fast[i] - slow[i]) <= Float(2 * (k + 2) * (k + 1)) * 0x1p-24,
                            "m \(m) k \(k) n \(n) index \(i)")
                }
            }
        }
    }

    /// Strided X and Y (the forward pass reads sub-blocks of wider buffers).
    @Test func stridesAreHonoured() {
        var random = TestRandom(seed: 99)
        let m = 3, k = 24, n = 10, ldx = 30, ldy = 13
        let x = FloatBuffer(random.array(m * ldx)), w = FloatBuffer(random.array(n * k))
        let fast = FloatBuffer(count: m * ldy), slow = FloatBuffer(count: m * ldy)
        Linear.forward(m: m, k: k, n: n, x: x.pointer, ldx: ldx, w: w.pointer, y: fast.pointer, ldy: ldy)
        Naive.gemm(transA: false, transB: true, m: m, n: n, k: k, a: x.pointer, lda: ldx, b: w.pointer, ldb: k,
                   c: slow.pointer, ldc: ldy)
        for i in 0..<(m * ldy) { #expect(abs(fast[i] - slow[i]) < 1e-5) }
        #expect(Linear.smallBatchAvailable, "this machine kind (Zen 4) has AVX2 and FMA")
    }

    @Test func bufferStartsZeroAndRoundTrips() {
        let b = FloatBuffer(count: 5)
        #expect(b.array == [0, 0, 0, 0, 0])
        b[2] = 3
        #expect(FloatBuffer(b.array).array == [0, 0, 3, 0, 0])
    }
}
