import Testing
@testable import LinearAlgebra

/// Every BLAS entry point against `Naive`, on shapes that include strides, transposes, one-row and
/// non-square cases. Tolerance: the classic forward error bound of a length-k f32 dot product,
/// |error| <= k * 2^-24 * sum|a*b| (the reference accumulates in Double), with a factor 2 of slack for
/// the final alpha/beta update.
@Suite struct BLASTests {
    static func bound(_ k: Int, _ absSum: Double) -> Double { 2 * Double(k + 2) * 0x1p-24 * absSum + 1e-30 }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gemmMatchesNaive(transA: Bool, transB: Bool) {
        var random = TestRandom(seed: 7)
        for (m, n, k) in [(1, 7, 3), (5, 7, 3), (8, 33, 64), (17, 5, 129)] {
            // Stored shapes with padding in the leading dimension, to exercise strides.
            let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 1
            let a = random.array((transA ? k : m) * lda)
            let b = random.array((transB ? n : k) * ldb)
            let c0 = random.array(m * ldc)
            var fast = c0, slow = c0
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    fast.withUnsafeMutableBufferPointer { cp in
                        BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                  a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0.25,
                                  c: cp.baseAddress!, ldc: ldc)
                    }
                    slow.withUnsafeMutableBufferPointer { cp in
                        Naive.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                   a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: 0.25,
                                   c: cp.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    var absSum = abs(Double(c0[i * ldc + j]))
                    for p in 0..<k {
                        let x = transA ? a[p * lda + i] : a[i * lda + p]
                        let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                        absSum += abs(Double(x) * Double(y))
                    }
                    let error = abs(Double(fast[i * ldc + j]) - Double(slow[i * ldc + j]))
                    #expect(error <= Self.bound(k, absSum), "(\(m),\(n),\(k)) at [\(i),\(j)]")
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func gemvMatchesNaive(trans: Bool) {
        var random = TestRandom(seed: 11)
        for (rows, cols) in [(1, 1), (7, 5), (64, 129), (300, 17)] {
            let lda = cols + 4
            let a = random.array(rows * lda)
            let x = random.array(trans ? rows : cols)
            let y0 = random.array(trans ? cols : rows)
            var fast = y0, slow = y0
            a.withUnsafeBufferPointer { ap in
                x.withUnsafeBufferPointer { xp in
                    fast.withUnsafeMutableBufferPointer { yp in
                        BLAS.gemv(trans: trans, rows: rows, cols: cols, alpha: 2, a: ap.baseAddress!, lda: lda,
                                  x: xp.baseAddress!, beta: 1, y: yp.baseAddress!)
                    }
                    slow.withUnsafeMutableBufferPointer { yp in
                        Naive.gemv(trans: trans, rows: rows, cols: cols, alpha: 2, a: ap.baseAddress!, lda: lda,
                                   x: xp.baseAddress!, beta: 1, y: yp.baseAddress!)
                    }
                }
            }
            let k = trans ? rows : cols
            for o in 0..<fast.count {
                var absSum = abs(Double(y0[o]))
                for i in 0..<k { absSum += 2 * abs(Double(trans ? a[i * lda + o] : a[o * lda + i]) * Double(x[i])) }
                #expect(abs(Double(fast[o]) - Double(slow[o])) <= Self.bound(k, absSum), "(\(rows),\(cols)) at \(o)")
            }
        }
        #expect(!BLAS.coreName.isEmpty)
    }

    /// Small integers and halves are exact in f32, so here equality is the right check.
    @Test func sgemmIsExactOnSmallIntegers() {
        let m = 5, n = 7, k = 3
        let a = (0..<(m * k)).map { Float($0 % 11) - 5 }
        let b = (0..<(k * n)).map { Float($0 % 7) * 0.5 - 1 }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, b: bp.baseAddress!, c: cp.baseAddress!)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += a[i * k + p] * b[p * n + j] }
                #expect(c[i * n + j] == s)
            }
        }
    }
}
