/// Y = X · Wᵀ straight from Q4_1 / Q8_0 blocks, for decode steps (1 to 16 rows): a weight row's blocks are expanded
/// (by `BlockDequantize`) into a scratch of a few KB that stays in L1, then used at once by up to 8 input rows with
/// the 8 accumulators in registers, so each expansion is paid once per 8 rows and each weight load feeds 8 FMAs.
/// Requires `CPUFeatures.hasAVX2FMA`.
///
/// Same arithmetic as `SmallBatchProduct.productNT` on `BlockDequantize`'s values, output for output: each output
/// sums its products in 8 lanes, 8 inputs at a time in order, with one FMA each, then adds the lanes by halving.
/// Only the order in which outputs are computed differs, so the two give bit-identical results.
public enum QuantizedProduct {
    /// Block formats (layouts in `BlockDequantize`).
    public enum Format: Sendable {
        case q4_1, q8_0
    }

    /// y[r·ldy + j] (= or +=) Σ_p x[r·ldx + p] · W[j, p] for r < m, j in `columns`, p < k, where weight row j is
    /// `k / 32` blocks of `format` at `w + j · rowBytes`. k must be a multiple of 32.
    public static func product(
        format: Format, m: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafeRawPointer, rowBytes: Int,
        y: UnsafeMutablePointer<Float>, ldy: Int, columns: Range<Int>, accumulate: Bool
    ) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * Panel.maxChunk)  // [4, chunk] expanded rows
        let partial = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: 8 * Panel.tile)  // [tile, 8] lane sums
        defer {
            scratch.deallocate()
            partial.deallocate()
        }
        var r = 0
        while r < m {
            // 8 rows at a time (one weight row, 8 accumulators); the rest by 4 (two weight rows, 8 accumulators) or
            // 1 (four weight rows). Missing rows of a group alias its first row and their sums are dropped.
            let rows = m - r >= 5 ? min(8, m - r) : m - r >= 2 ? m - r : 1
            let panel = Panel(format: format, k: k, x: x + r * ldx, ldx: ldx, rows: rows, w: w, rowBytes: rowBytes,
                              y: y + r * ldy, ldy: ldy, accumulate: accumulate, scratch: scratch, partial: partial)
            if rows > 4 {
                panel.rows8(columns)
            } else if rows > 1 {
                panel.rows4(columns)
            } else {
                panel.rows1(columns)
            }
            r += rows
        }
    }
}

/// One group of input rows against a range of weight rows. Inputs are walked in chunks so that the group's slice of
/// X stays in L1 (8 rows × 1536 inputs would be 48 KB); between chunks the lane accumulators of each output wait in
/// `partial`, so every output still sums its products in one unbroken order.
private struct Panel {
    /// Most inputs per chunk (and floats per expanded row of `scratch`): wider inputs go in chunks of 512, an
    /// 8-row X slice of 16 KB.
    static let maxChunk = 640
    /// Outputs per tile: the tile's lane accumulators wait in `partial` between chunks.
    static let tile = 32

    let format: QuantizedProduct.Format
    let k: Int
    let x: UnsafePointer<Float>
    let ldx: Int
    let rows: Int
    let w: UnsafeRawPointer
    let rowBytes: Int
    let y: UnsafeMutablePointer<Float>
    let ldy: Int
    let accumulate: Bool
    let scratch: UnsafeMutablePointer<Float>
    let partial: UnsafeMutablePointer<SIMD8<Float>>

    /// Inputs per chunk: all of them up to `maxChunk` (an 8-row X slice of ≤ 20 KB), else 512 (whole blocks).
    var chunk: Int { k <= Self.maxChunk ? k : 512 }

    /// Input row r, or row 0 for a missing row.
    @inline(__always)
    func xRow(_ r: Int) -> UnsafePointer<Float> { r < rows ? x + r * ldx : x }

    /// Expands inputs p0..<p1 of weight row j into `out`.
    @inline(__always)
    func expand(row j: Int, from p0: Int, to p1: Int, into out: UnsafeMutablePointer<Float>) {
        let blockBytes = format == .q4_1 ? BlockDequantize.q4_1BlockBytes : BlockDequantize.q8_0BlockBytes
        let source = w + j * rowBytes + p0 / 32 * blockBytes
        switch format {
        case .q4_1: BlockDequantize.q4_1(source, blocks: (p1 - p0) / 32, out: out)
        case .q8_0: BlockDequantize.q8_0(source, blocks: (p1 - p0) / 32, out: out)
        }
    }

    @inline(__always)
    func finish(_ lanes: SIMD8<Float>, row r: Int, column j: Int) {
        guard r < rows else { return }
        let s = lanes.horizontalSum
        let out = y + r * ldy + j
        out.pointee = accumulate ? out.pointee + s : s
    }

    /// 5 to 8 input rows, one weight row at a time: 8 accumulators, each weight load feeds 8 FMAs.
    func rows8(_ columns: Range<Int>) {
        let x0 = xRow(0), x1 = xRow(1), x2 = xRow(2), x3 = xRow(3), x4 = xRow(4), x5 = xRow(5), x6 = xRow(6),
            x7 = xRow(7)
        let step = chunk
        var j0 = columns.lowerBound
        while j0 < columns.upperBound {
            let j1 = min(j0 + Self.tile, columns.upperBound)
            var p0 = 0
            while p0 < k {
                let p1 = min(p0 + step, k)
                for j in j0..<j1 {
                    expand(row: j, from: p0, to: p1, into: scratch)
                    let saved = partial + (j - j0) * 8
                    var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
                    if p0 > 0 {
                        a0 = saved[0]; a1 = saved[1]; a2 = saved[2]; a3 = saved[3]
                        a4 = saved[4]; a5 = saved[5]; a6 = saved[6]; a7 = saved[7]
                    }
                    var p = p0
                    let v = scratch - p0
                    while p < p1 {
                        let b = load8(v + p)
                        a0.addProduct(b, load8(x0 + p)); a1.addProduct(b, load8(x1 + p))
                        a2.addProduct(b, load8(x2 + p)); a3.addProduct(b, load8(x3 + p))
                        a4.addProduct(b, load8(x4 + p)); a5.addProduct(b, load8(x5 + p))
                        a6.addProduct(b, load8(x6 + p)); a7.addProduct(b, load8(x7 + p))
                        p &+= 8
                    }
                    if p1 == k {
                        finish(a0, row: 0, column: j); finish(a1, row: 1, column: j)
                        finish(a2, row: 2, column: j); finish(a3, row: 3, column: j)
                        finish(a4, row: 4, column: j); finish(a5, row: 5, column: j)
                        finish(a6, row: 6, column: j); finish(a7, row: 7, column: j)
                    } else {
                        saved[0] = a0; saved[1] = a1; saved[2] = a2; saved[3] = a3
                        saved[4] = a4; saved[5] = a5; saved[6] = a6; saved[7] = a7
                    }
                }
                p0 = p1
            }
            j0 = j1
        }
    }

    /// 2 to 4 input rows, two weight rows at a time: 8 accumulators, 6 loads per 8 FMAs.
    func rows4(_ columns: Range<Int>) {
        let x0 = xRow(0), x1 = xRow(1), x2 = xRow(2), x3 = xRow(3)
        let step = chunk
        var j0 = columns.lowerBound
        while j0 < columns.upperBound {
            let j1 = min(j0 + Self.tile, columns.upperBound)
            var p0 = 0
            while p0 < k {
                let p1 = min(p0 + step, k)
                var j = j0
                while j < j1 {
                    let two = j + 1 < j1
                    expand(row: j, from: p0, to: p1, into: scratch)
                    if two { expand(row: j + 1, from: p0, to: p1, into: scratch + Self.maxChunk) }
                    let saved = partial + (j - j0) * 8
                    var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
                    if p0 > 0 {
                        a0 = saved[0]; a1 = saved[1]; a2 = saved[2]; a3 = saved[3]
                        b0 = saved[4]; b1 = saved[5]; b2 = saved[6]; b3 = saved[7]
                    }
                    let v0 = scratch - p0, v1 = (two ? scratch + Self.maxChunk : scratch) - p0
                    var p = p0
                    while p < p1 {
                        let w0 = load8(v0 + p), w1 = load8(v1 + p)
                        let c0 = load8(x0 + p), c1 = load8(x1 + p), c2 = load8(x2 + p), c3 = load8(x3 + p)
                        a0.addProduct(w0, c0); a1.addProduct(w0, c1); a2.addProduct(w0, c2); a3.addProduct(w0, c3)
                        b0.addProduct(w1, c0); b1.addProduct(w1, c1); b2.addProduct(w1, c2); b3.addProduct(w1, c3)
                        p &+= 8
                    }
                    if p1 == k {
                        finish(a0, row: 0, column: j); finish(a1, row: 1, column: j)
                        finish(a2, row: 2, column: j); finish(a3, row: 3, column: j)
                        if two {
                            finish(b0, row: 0, column: j + 1); finish(b1, row: 1, column: j + 1)
                            finish(b2, row: 2, column: j + 1); finish(b3, row: 3, column: j + 1)
                        }
                    } else {
                        saved[0] = a0; saved[1] = a1; saved[2] = a2; saved[3] = a3
                        saved[4] = b0; saved[5] = b1; saved[6] = b2; saved[7] = b3
                    }
                    j += 2
                }
                p0 = p1
            }
            j0 = j1
        }
    }

    /// One input row, four weight rows at a time: 4 independent accumulator chains.
    func rows1(_ columns: Range<Int>) {
        let step = chunk
        var j0 = columns.lowerBound
        while j0 < columns.upperBound {
            let j1 = min(j0 + Self.tile, columns.upperBound)
            var p0 = 0
            while p0 < k {
                let p1 = min(p0 + step, k)
                var j = j0
                while j < j1 {
                    let count = min(4, j1 - j)
                    for i in 0..<count { expand(row: j + i, from: p0, to: p1, into: scratch + i * Self.maxChunk) }
                    let saved = partial + (j - j0) * 8
                    var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
                    if p0 > 0 { a0 = saved[0]; a1 = saved[1]; a2 = saved[2]; a3 = saved[3] }
                    let v0 = scratch - p0, v1 = (count > 1 ? scratch + Self.maxChunk : scratch) - p0
                    let v2 = (count > 2 ? scratch + 2 * Self.maxChunk : scratch) - p0
                    let v3 = (count > 3 ? scratch + 3 * Self.maxChunk : scratch) - p0
                    var p = p0
                    while p < p1 {
                        let c = load8(x + p)
                        a0.addProduct(load8(v0 + p), c); a1.addProduct(load8(v1 + p), c)
                        a2.addProduct(load8(v2 + p), c); a3.addProduct(load8(v3 + p), c)
                        p &+= 8
                    }
                    if p1 == k {
                        finish(a0, row: 0, column: j)
                        if count > 1 { finish(a1, row: 0, column: j + 1) }
                        if count > 2 { finish(a2, row: 0, column: j + 2) }
                        if count > 3 { finish(a3, row: 0, column: j + 3) }
                    } else {
                        saved[0] = a0; saved[1] = a1; saved[2] = a2; saved[3] = a3
                    }
                    j += 4
                }
                p0 = p1
            }
            j0 = j1
        }
    }
}
