import Foundation
import Testing
@testable import GGUF

@Suite struct GGUFWriterTests {
    /// One value of every metadata type, including empty and nested arrays.
    static let allValues: [(String, GGUFValue)] = [
        ("t.u8", .uint8(250)), ("t.i8", .int8(-7)), ("t.u16", .uint16(65_000)), ("t.i16", .int16(-30_000)),
        ("t.u32", .uint32(4_000_000_000)), ("t.i32", .int32(-2_000_000_000)),
        ("t.u64", .uint64(UInt64.max)), ("t.i64", .int64(Int64.min)),
        ("t.f32", .float32(-1.5e-5)), ("t.f64", .float64(Double.pi)), ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.str", .string("héllo ✓ 世界 👩‍💻")), ("t.empty", .string("")),
        ("t.strs", .array(.string(["a", "", "Ġthe"]))),
        ("t.i32s", .array(.int32([1, -2]))),
        ("t.none", .array(.float64([]))),
        ("t.u8s", .array(.uint8([0, 255]))), ("t.i8s", .array(.int8([-128, 127]))),
        ("t.u16s", .array(.uint16([65535]))), ("t.i16s", .array(.int16([-1]))), ("t.u32s", .array(.uint32([7]))),
        ("t.u64s", .array(.uint64([UInt64.max]))), ("t.i64s", .array(.int64([Int64.min]))),
        ("t.f32s", .array(.float32([1.5, -0.25]))), ("t.bools", .array(.bool([true, false]))),
        ("t.nested", .array(.array([.uint8([1, 2]), .string(["x"]), .array([.bool([])])]))),
    ]

    @Test(arguments: [(3, 32), (2, 32), (3, 64), (3, 1)])
    func roundTripsEveryValueTypeAndTensorType(version: Int, alignment: Int) throws {
        var writer = try GGUFWriter(version: version, alignment: alignment)
        for (key, value) in Self.allValues { try writer.set(key, value) }
        let values = (0..<128).map { Float($0 % 17) * 0.25 - 2 }
        for type in GGMLType.allCases {
            try writer.addTensor(name: "w.\(type.name)", dims: [64, 2], type: type, values: values)
        }
        try writer.addTensor(name: "scalarish", dims: [1], type: .f32, values: [42])
        let file = try GGUFFile(bytes: writer.serialize())
        #expect(file.version == version)
        #expect(file.alignment == alignment)
        let expectedKeys = (alignment == 32 ? [] : ["general.alignment"]) + Self.allValues.map(\.0)
        #expect(file.metadata.keys == expectedKeys)
        for (key, value) in Self.allValues { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.tensors.map(\.name) == GGMLType.allCases.map { "w.\($0.name)" } + ["scalarish"])
        for type in GGMLType.allCases {
            let info = try file.requireTensor(named: "w.\(type.name)")
            #expect(info.dims == [64, 2] && info.type == type && info.offset % alignment == 0)
            // Through the file the values decode exactly as the type decodes its own encoding.
            let back = try file.dequantize(info)
            let direct = try dequantized(type, try type.quantize(values), count: values.count)
            #expect(back == direct)
        }
        #expect(try file.dequantize(file.requireTensor(named: "scalarish")) == [42])
        // Raw access hands back exactly the encoded blocks.
        let q4 = try file.requireTensor(named: "w.Q4_1")
        #expect(file.withRawBytes(of: q4) { Array($0) } == (try GGMLType.q4_1.quantize(values)))
        #expect(file.tensor(named: "absent") == nil)
        #expect(throws: GGUFError.self) { try file.requireTensor(named: "absent") }
    }

    /// Typed accessors: right types succeed, wrong types and missing keys name the key.
    @Test func metadataAccessors() throws {
        var writer = try GGUFWriter()
        for (key, value) in Self.allValues { try writer.set(key, value) }
        let m = try GGUFFile(bytes: writer.serialize()).metadata
        #expect(try m.uint32("t.u32") == 4_000_000_000)
        #expect(try m.int("t.i16") == -30_000)
        #expect(try m.float("t.f64") == Float(Double.pi))
        #expect(try m.string("t.str") == "héllo ✓ 世界 👩‍💻")
        #expect(try m.bool("t.true"))
        #expect(try m.stringArray("t.strs") == ["a", "", "Ġthe"])
        #expect(try m.intArray("t.i32s") == [1, -2])
        #expect(try m.intArray("t.u8s") == [0, 255])
        #expect(try m.floatArray("t.f32s") == [1.5, -0.25])
        #expect(throws: GGUFError.self) { try m.intArray("t.u64s") }  // does not fit an Int
        #expect(throws: GGUFError.self) { try m.stringArray("t.i32s") }
        #expect(throws: GGUFError.self) { try m.int("t.u64") }  // does not fit an Int
        do {
            _ = try m.uint32("t.i32")
            Issue.record("expected a type mismatch")
        } catch {
            #expect(error.kind == .typeMismatch && error.offset != nil && error.message.contains("t.i32"))
        }
        do {
            _ = try m.string("nope")
            Issue.record("expected a missing key")
        } catch {
            #expect(error.kind == .missingKey && error.message.contains("nope"))
        }
    }

    /// The writer refuses what the reader would refuse.
    @Test func writerRefusesInvalidInput() throws {
        var writer = try GGUFWriter()
        #expect(throws: GGUFError.self) { try GGUFWriter(alignment: 48) }
        #expect(throws: GGUFError.self) { try GGUFWriter(version: 1) }
        #expect(throws: GGUFError.self) { try writer.set("general.alignment", .uint32(64)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "q", dims: [31], type: .q8_0, values: .init(repeating: 0, count: 31)) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "q", dims: [4], type: .f32, values: [1, 2, 3]) }
        try writer.addTensor(name: "q", dims: [2], type: .f32, values: [1, 2])
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "q", dims: [2], type: .f32, values: [1, 2]) }
    }

    /// Writes to disk and maps back through `GGUFFile(path:)`.
    @Test func writesAFileThatMapsBack() throws {
        var writer = try GGUFWriter()
        try writer.set("general.architecture", .string("llama"))
        try writer.addTensor(name: "t", dims: [32, 3], type: .q8_0, values: (0..<96).map { Float($0) / 10 })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-writer-\(getpid()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        #expect(try file.metadata.string("general.architecture") == "llama")
        let t = try file.requireTensor(named: "t")
        let back = try file.dequantize(t)
        for i in 0..<96 { #expect(abs(back[i] - Float(i) / 10) < 0.05) }
        #expect(file.byteCount == writer.serialize().count)
    }
}
