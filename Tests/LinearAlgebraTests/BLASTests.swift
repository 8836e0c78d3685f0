import Testing
@testable import LinearAlgebra

@Suite struct BLASTests {
    /// The system-library link works and sgemm agrees with a naive triple loop.
    @Test func sgemmMatchesNaiveReference() {
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
                // Small integers and halves: exact in f32, so equality is the right check.
                #expect(c[i * n + j] == s)
            }
        }
        #expect(!BLAS.coreName.isEmpty)
    }
}
