/// Matrix products with few rows (decode steps: 1 to 16 sequences), where OpenBLAS 0.3.21 spends most of its
/// time packing a weight matrix it reads only once. This streams each weight row once and keeps the few input
/// rows in L1.
public enum SmallBatchProduct {
    /// y[r·ldy + j] (= or +=) Σ_p x[r·ldx + p] · w[j·ldw + p] for r < m, j0 ≤ j < j1, p < k:
    /// Y = X · Wᵀ with W stored [out][in]. Any m ≥ 1. Requires `CPUFeatures.hasAVX2FMA`.
    public static func productNT(
        m: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>, ldw: Int,
        y: UnsafeMutablePointer<Float>, ldy: Int, columns: Range<Int>, accumulate: Bool
    ) {
        if m == 1 {
            var j = columns.lowerBound
            while j < columns.upperBound {
                block4x1(k: k, x: x, w: w + j * ldw, ldw: ldw, y: y + j, count: min(4, columns.upperBound - j),
                         accumulate: accumulate)
                j += 4
            }
            return
        }
        var j = columns.lowerBound
        while j < columns.upperBound {
            let two = j + 1 < columns.upperBound
            let w0 = w + j * ldw, w1 = two ? w0 + ldw : w0
            var r = 0
            while r < m {
                block2x4(rows: min(4, m - r), k: k, x: x + r * ldx, ldx: ldx, w0: w0, w1: w1,
                         y: y + r * ldy, ldy: ldy, column: j, two: two, accumulate: accumulate)
                r += 4
            }
            j += 2
        }
    }

    /// One input row against four weight rows (single-sequence decode): 4 accumulators, 5 loads per 4 FMAs,
    /// where the 2×4 block would spend three of its four input loads on aliases of the same row.
    @inline(__always)
    private static func block4x1(
        k: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>, ldw: Int, y: UnsafeMutablePointer<Float>,
        count: Int, accumulate: Bool
    ) {
        let w0 = w, w1 = count > 1 ? w + ldw : w, w2 = count > 2 ? w + 2 * ldw : w, w3 = count > 3 ? w + 3 * ldw : w
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        var p = 0
        while p + 8 <= k {
            let b = load8(x + p)
            a0.addProduct(load8(w0 + p), b); a1.addProduct(load8(w1 + p), b)
            a2.addProduct(load8(w2 + p), b); a3.addProduct(load8(w3 + p), b)
            p &+= 8
        }
        var s = SIMD4<Float>(a0.horizontalSum, a1.horizontalSum, a2.horizontalSum, a3.horizontalSum)
        while p < k {  // tail when k is not a multiple of 8
            s += SIMD4<Float>(w0[p], w1[p], w2[p], w3[p]) * x[p]
            p &+= 1
        }
        for i in 0..<count { y[i] = accumulate ? y[i] + s[i] : s[i] }
    }

    /// Two weight rows against up to four input rows: 8 accumulators, 6 loads per 8 FMAs, so the loop is
    /// bound by the FMA units rather than by loads. Missing input rows alias row 0; their sums are dropped.
    @inline(__always)
    private static func block2x4(
        rows: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, w0: UnsafePointer<Float>, w1: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, ldy: Int, column j: Int, two: Bool, accumulate: Bool
    ) {
        let x0 = x, x1 = rows > 1 ? x + ldx : x, x2 = rows > 2 ? x + 2 * ldx : x, x3 = rows > 3 ? x + 3 * ldx : x
        var a00 = SIMD8<Float>(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00
        var p = 0
        while p + 8 <= k {
            let v0 = load8(w0 + p), v1 = load8(w1 + p)
            let b0 = load8(x0 + p), b1 = load8(x1 + p), b2 = load8(x2 + p), b3 = load8(x3 + p)
            a00.addProduct(v0, b0); a01.addProduct(v0, b1); a02.addProduct(v0, b2); a03.addProduct(v0, b3)
            a10.addProduct(v1, b0); a11.addProduct(v1, b1); a12.addProduct(v1, b2); a13.addProduct(v1, b3)
            p &+= 8
        }
        var s0 = SIMD4<Float>(a00.horizontalSum, a01.horizontalSum, a02.horizontalSum, a03.horizontalSum)
        var s1 = SIMD4<Float>(a10.horizontalSum, a11.horizontalSum, a12.horizontalSum, a13.horizontalSum)
        while p < k {  // tail when k is not a multiple of 8
            let xs = SIMD4<Float>(x0[p], x1[p], x2[p], x3[p])
            s0 += w0[p] * xs
            s1 += w1[p] * xs
            p &+= 1
        }
        for r in 0..<rows {
            let row = y + r * ldy
            row[j] = accumulate ? row[j] + s0[r] : s0[r]
            if two { row[j + 1] = accumulate ? row[j + 1] + s1[r] : s1[r] }
        }
    }
}
