import Foundation
import Testing
@testable import GGUF

/// Blocks quantized and dequantized by gguf-py (the reference implementation of the format), checked there against
/// an independent from-the-spec dequantizer. Made by `tools/fixtures/make_fixtures.py quant`.
struct QuantCase: Decodable {
    let type: String
    let type_id: UInt32
    let block_size: Int
    let type_size: Int
    let name: String
    let values: [Float]
    let bytes_hex: String
    let dequantized: [Float]

    var bytes: [UInt8] {
        var out: [UInt8] = []
        var chars = bytes_hex.utf8.makeIterator()
        while let hi = chars.next(), let lo = chars.next() {
            out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16)!)
        }
        return out
    }

    static let all: [QuantCase] = {
        let url = Bundle.module.url(forResource: "Fixtures/quant_cases", withExtension: "json")!
        return try! JSONDecoder().decode([QuantCase].self, from: Data(contentsOf: url))
    }()
}

@Suite struct QuantFixtureTests {
    @Test func fixturesCoverEveryType() {
        #expect(Set(QuantCase.all.map(\.type)) == Set(GGMLType.allCases.map(\.name)))
    }

    /// Dequantization is bit-identical to gguf-py's, and the block geometry agrees with its GGML_QUANT_SIZES.
    @Test(arguments: QuantCase.all.indices)
    func dequantizationMatchesGGUFPy(index: Int) throws {
        let c = QuantCase.all[index]
        let type = try #require(GGMLType(rawValue: c.type_id))
        #expect(type.name == c.type && type.blockSize == c.block_size && type.blockBytes == c.type_size)
        let got = try dequantized(type, c.bytes, count: c.dequantized.count)
        #expect(got.map(\.bitPattern) == c.dequantized.map(\.bitPattern), "\(c.type) \(c.name)")
    }

    /// The writer's quantizer produces gguf-py's bytes for the same inputs (both follow ggml's reference rounding).
    @Test(arguments: QuantCase.all.indices)
    func quantizationMatchesGGUFPy(index: Int) throws {
        let c = QuantCase.all[index]
        let type = try #require(GGMLType(rawValue: c.type_id))
        #expect(try type.quantize(c.values) == c.bytes, "\(c.type) \(c.name)")
    }
}
