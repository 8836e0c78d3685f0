import Testing
@testable import LinearAlgebra

/// Quantized products against a naive reference: blocks decoded by a plain loop written here from the ggml layout,
/// then a Double-accumulating product. Odd shapes: output counts that are not multiples of the kernels' groups (1, 2, 4)
/// or tiles (32) or of the two threads' chunks, input widths of 1 to 48 blocks (beyond 20, walked in chunks of 16),
/// 1 to 16 input rows, strided X and Y.
@Suite struct QuantizedMatrixTests {
    /// Random blocks of `format` with realistic scales: d in ±[2^-10, 2^-4] (halves, some subnormal-free), m in
    /// ±0.1; every nibble / byte value appears.
    static func randomMatrix(_ format: QuantizedMatrix.Format, rows: Int, columns: Int,
                             random: inout TestRandom) -> QuantizedMatrix {
        let matrix = QuantizedMatrix(format: format, rows: rows, columns: columns)
        var bytes = [UInt8]()
        for _ in 0..<(rows * columns / 32) {
            let d = Float16(random.uniform() * 0.06)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes += $0 }
            switch format {
            case .q4_1:
                let m = Float16(random.uniform() * 0.1)
                withUnsafeBytes(of: m.bitPattern.littleEndian) { bytes += $0 }
                for _ in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            case .q8_0:
                for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            }
        }
        bytes.withUnsafeBytes { matrix.setRows(from: 0, bytes: $0) }
        return matrix
    }

    /// ggml's definition, one value at a time: Q4_1 d·nibble + m (value i < 16 low nibble of byte i, i + 16 its
    /// high nibble), Q8_0 d·int8.
    static func naiveDequantize(_ w: QuantizedMatrix) -> [Float] {
        var out = [Float](repeating: 0, count: w.rows * w.columns)
        for r in 0..<w.rows {
            let row = w.rowPointer(r)
            for b in 0..<(w.columns / 32) {
                let block = row + b * w.format.blockBytes
                let d = Float(Float16(bitPattern: UInt16(block.load(as: UInt8.self))
                                      | UInt16(block.load(fromByteOffset: 1, as: UInt8.self)) << 8))
                for i in 0..<32 {
                    let value: Float
                    switch w.format {
                    case .q4_1:
                        let m = Float(Float16(bitPattern: UInt16(block.load(fromByteOffset: 2, as: UInt8.self))
                                              | UInt16(block.load(fromByteOffset: 3, as: UInt8.self)) << 8))
                        let byte = block.load(fromByteOffset: 4 + i % 16, as: UInt8.self)
                        let nibble = i < 16 ? byte & 0x0F : byte >> 4
                        value = d * Float(nibble) + m
                    case .q8_0:
                        value = d * Float(block.load(fromByteOffset: 2 + i, as: Int8.self))
                    }
                    out[r * w.columns + b * 32 + i] = value
                }
            }
        }
        return out
    }

    @Test(arguments: [QuantizedMatrix.Format.q4_1, .q8_0])
    func dequantizeIsExact(format: QuantizedMatrix.Format) {
        var random = TestRandom(seed: 7)
        let w = Self.randomMatrix(format, rows: 13, columns: 96, random: &random)
        let reference = Self.naiveDequantize(w)
        let out = FloatBuffer(count: 11 * 96)
        w.dequantize(rows: 2..<13, into: out.pointer)
        #expect(out.array.map(\.bitPattern) == reference[(2 * 96)...].map(\.bitPattern))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16])
    func productMatchesNaive(rows m: Int) {
        var random = TestRandom(seed: 100 + UInt64(m))
        for format in [QuantizedMatrix.Format.q4_1, .q8_0] {
            for (k, n) in [(32, 1), (32, 7), (96, 37), (576, 301), (1536, 13), (1536, 75)] {
                let w = Self.randomMatrix(format, rows: n, columns: k, random: &random)
                let wf = Self.naiveDequantize(w)  // [n, k]
                let ldx = k + 3, ldy = n + 5
                let x = FloatBuffer(random.array(m * ldx))  // [m, ldx]
                let y0 = random.array(m * ldy)              // [m, ldy]
                for accumulate in [false, true] {
                    let fast = FloatBuffer(y0)
                    Linear.forward(m: m, x: x.pointer, ldx: ldx, w: w, y: fast.pointer, ldy: ldy, accumulate: accumulate)
                    for r in 0..<m {
                        for j in 0..<ldy {
                            let got = fast[r * ldy + j]
                            guard j < n else {
                                #expect(got == y0[r * ldy + j], "column \(j) beyond n must be untouched")
                                continue
                            }
                            var sum: Double = 0, magnitude: Double = 0
                            for p in 0..<k {
                                let term = Double(x[r * ldx + p]) * Double(wf[j * k + p])
                                sum += term
                                magnitude += abs(term)
                            }
                            let start = accumulate ? Double(y0[r * ldy + j]) : 0
                            // f32 sums of k terms in any order: error ≤ (k+2)·2^-24·Σ|terms| (plus the final add
                            // of y0); doubled for margin. The weights themselves are exact (checked above).
                            let bound = 2 * Double(k + 2) * 0x1p-24 * (magnitude + abs(start))
                            #expect(abs(Double(got) - (sum + start)) <= bound,
                                    "\(format) m \(m) k \(k) n \(n) row \(r) column \(j)")
                        }
                    }
                }
            }
        }
    }

    /// The quantized path runs the f32 small-batch kernel on the same values: outputs are bit-identical to
    /// `Linear.forward` on the dequantized f32 matrix for every m up to the small-batch limit.
    @Test(arguments: [1, 3, 8, 16])
    func bitIdenticalToF32Path(rows m: Int) {
        var random = TestRandom(seed: 55)
        for format in [QuantizedMatrix.Format.q4_1, .q8_0] {
            let k = 576, n = 203
            let w = Self.randomMatrix(format, rows: n, columns: k, random: &random)
            let wf = FloatBuffer(Self.naiveDequantize(w))
            let x = FloatBuffer(random.array(m * k))
            let quantized = FloatBuffer(count: m * n), f32 = FloatBuffer(count: m * n)
            Linear.forward(m: m, x: x.pointer, ldx: k, w: w, y: quantized.pointer, ldy: n)
            Linear.forward(m: m, k: k, n: n, x: x.pointer, w: wf.pointer, y: f32.pointer)
            #expect(quantized.array.map(\.bitPattern) == f32.array.map(\.bitPattern), "\(format) m \(m)")
        }
    }
}
