import Testing
@testable import LinearAlgebra
@testable import Llama

/// `TrainingThreads.gemm` (C cut into per-worker row or column blocks, each a single-threaded sgemm) against a
/// naive Double product, in every transpose layout, with leading dimensions wider than the matrices, alpha,
/// beta, and sizes that do not divide into 16-wide blocks. Tolerance 1e-4 relative to the sum of |terms|:
/// f32 rounding over k ≤ 300 products.
@Suite struct TrainingThreadsTests {
    /// C = alpha·op(A)·op(B) + beta·C0 in Double, row-major with the given leading dimensions.
    static func naive(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                      b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> (value: [Double], scale: [Double]) {
        var value = c.map(Double.init), scale = c.map { abs(Double($0)) }
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, size = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y
                    size += abs(x * y)
                }
                value[i * ldc + j] = Double(alpha) * sum + Double(beta) * Double(c[i * ldc + j])
                scale[i * ldc + j] = abs(Double(alpha)) * size + abs(Double(beta) * Double(c[i * ldc + j]))
            }
        }
        return (value, scale)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)],
          [(m: 300, n: 70, k: 250), (m: 37, n: 530, k: 300), (m: 129, n: 129, k: 260)])
    func matchesNaiveProduct(layout: (Bool, Bool), shape: (m: Int, n: Int, k: Int)) {
        let (transA, transB) = layout, (m, n, k) = shape
        var random = SeededRandom(seed: UInt64(m * 7 + n))
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) } }
        // Leading dimensions 3 wider than the stored matrices, as when addressing a slice of a fused buffer.
        let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 3, ldc = n + 3
        let a = values((transA ? k : m) * lda), b = values((transB ? n : k) * ldb), c0 = values(m * ldc)
        for workers in [1, 2, 3] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                let c = FloatBuffer(c0)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        TrainingThreads.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                             a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                                             c: c.pointer, ldc: ldc, workers: workers)
                    }
                }
                let expected = Self.naive(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a,
                                          lda: lda, b: b, ldb: ldb, beta: beta, c: c0, ldc: ldc)
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        let e = i * ldc + j
                        worst = max(worst, abs(Double(c.pointer[e]) - expected.value[e]) / (expected.scale[e] + 1e-30))
                    }
                    for j in n..<ldc { #expect(c.pointer[i * ldc + j] == c0[i * ldc + j], "padding column written") }
                }
                #expect(worst < 1e-4, "layout \(layout) shape \(shape) workers \(workers) alpha \(alpha) beta \(beta)")
            }
        }
    }

    @Test func restoresTheOpenBLASThreadCount() {
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        BLAS.threadCount = 2
        let inside = TrainingThreads.singleThreadedBLAS {
            TrainingThreads.singleThreadedBLAS { (BLAS.threadCount, TrainingThreads.workers) }
        }
        #expect(inside.0 == 1 && inside.1 == 2)
        #expect(BLAS.threadCount == 2)
    }
}
