import Foundation
import Testing
@testable import GGUF

/// Mutates and truncates the real model file in memory: a private copy-on-write mapping, so only the touched header
/// pages are copied (no 98 MB duplicates on disk or in RAM). Every structural mutation must be refused with the right
/// kind of error and an offset; none may crash.
@Suite(.enabled(if: RealModel.isPresent, RealModel.skipMessage), .serialized)
final class RealModelCorruptionTests {
    let base: UnsafeMutableRawPointer
    let size: Int
    let file: GGUFFile

    init() throws {
        file = try GGUFFile(path: RealModel.path)
        let fd = open(RealModel.path, O_RDONLY)
        defer { close(fd) }
        size = file.byteCount
        guard fd >= 0, let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw GGUFError(.io, "cannot map the model privately")
        }
        base = p
    }

    deinit { munmap(base, size) }

    /// Parses the (mutated) image, or its first `length` bytes.
    func parse(length: Int? = nil) throws(GGUFError) {
        _ = try GGUFParser.parse(UnsafeRawBufferPointer(start: base, count: length ?? size))
    }

    /// Writes `value` at `offset`, expects the parse to fail with `kind`, then restores the bytes.
    func expectRefusal<T: FixedWidthInteger>(
        writing value: T, at offset: Int, _ kind: GGUFError.Kind, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let saved = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
        defer { base.storeBytes(of: saved, toByteOffset: offset, as: T.self) }
        do {
            try parse()
            Issue.record("mutation at \(offset) accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            #expect(error.offset != nil, sourceLocation: sourceLocation)
        }
    }

    @Test func unmutatedImageParses() throws {
        try parse()
    }

    @Test func headerFieldMutations() {
        expectRefusal(writing: UInt32(0x4655_4746), at: 0, .badMagic)
        expectRefusal(writing: UInt32(1), at: 4, .unsupportedVersion)
        expectRefusal(writing: UInt64.max, at: 8, .truncated)  // tensor count
        expectRefusal(writing: UInt64(1) << 40, at: 16, .truncated)  // key-value count
    }

    @Test func metadataMutations() throws {
        let entries = file.metadata.entries
        for entry in entries {
            guard let at = entry.offset else { continue }
            let keyLength = Int(base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            let typeAt = at + 8 + keyLength
            expectRefusal(writing: UInt64(size), at: at, .truncated)
            expectRefusal(writing: UInt32(13), at: typeAt, .invalidValue)
            switch entry.value {
            case .string:
                expectRefusal(writing: UInt64(size), at: typeAt + 4, .truncated)
            case .array(let array):
                expectRefusal(writing: UInt32(77), at: typeAt + 4, .invalidValue)
                expectRefusal(writing: UInt64.max / 2, at: typeAt + 8, .truncated)
                if array.elementType == .string {
                    expectRefusal(writing: UInt64(size), at: typeAt + 16, .truncated)  // first element's length
                }
            default: break
            }
        }
        // Rename the second key to the first one when both have the same length: a duplicate.
        let firstTwo = entries.prefix(2)
        if firstTwo.count == 2, firstTwo.first!.key.utf8.count <= firstTwo.last!.key.utf8.count {
            let (a, b) = (firstTwo.first!, firstTwo.last!)
            let saved = Array(UnsafeRawBufferPointer(start: base + b.offset!, count: 8 + b.key.utf8.count))
            base.storeBytes(of: UInt64(a.key.utf8.count).littleEndian, toByteOffset: b.offset!, as: UInt64.self)
            for (i, byte) in a.key.utf8.enumerated() { base.storeBytes(of: byte, toByteOffset: b.offset! + 8 + i, as: UInt8.self) }
            // The rest of b's key bytes now sit where its type was expected: only the duplicate check may fire first.
            do { try parse(); Issue.record("duplicate key accepted") } catch {
                #expect(error.kind == .duplicateKey && error.offset == b.offset)
            }
            saved.withUnsafeBytes { base.advanced(by: b.offset!).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        try parse()
    }

    @Test func tensorInfoMutations() throws {
        // A few of each kind: 1-D F32 norms, 2-D Q4_1 projections, the Q8_0 embedding, the last tensor.
        let sample = Array(file.tensors.prefix(6)) + [file.tensor(named: "token_embd.weight")!, file.tensors.last!]
        for t in sample {
            let rankAt = t.infoOffset + 8 + t.name.utf8.count
            let typeAt = rankAt + 4 + 8 * t.dims.count
            expectRefusal(writing: UInt64(size), at: t.infoOffset, .truncated)
            expectRefusal(writing: UInt32(0), at: rankAt, .badTensor)
            expectRefusal(writing: UInt32(5), at: rankAt, .badTensor)
            expectRefusal(writing: UInt64(0), at: rankAt + 4, .badTensor)
            expectRefusal(writing: UInt64(1) << 62, at: rankAt + 4, .badTensor)  // element or byte count overflows
            expectRefusal(writing: UInt32(12), at: typeAt, .unsupportedTensorType)  // Q4_K
            expectRefusal(writing: UInt32(0xFFFF), at: typeAt, .unsupportedTensorType)
            expectRefusal(writing: UInt64(t.offset - file.dataOffset + 1), at: typeAt + 4, .badAlignment)
            expectRefusal(writing: UInt64(size - file.dataOffset), at: typeAt + 4, .truncated)
        }
        // Point the second tensor's data at the first's: overlap.
        let (a, b) = (file.tensors[0], file.tensors[1])
        let bOffsetAt = b.infoOffset + 8 + b.name.utf8.count + 4 + 8 * b.dims.count + 4
        expectRefusal(writing: UInt64(a.offset - file.dataOffset), at: bOffsetAt, .badTensor)
        try parse()
    }

    /// Seeded random corruption of header bytes (1 to 4 bytes at a time): every outcome is a parse or a GGUFError.
    @Test func randomHeaderCorruptionNeverCrashes() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        var refused = 0
        let trials = 150
        for _ in 0..<trials {
            var saved: [(Int, UInt8)] = []
            for _ in 0..<(1 + next() % 4) {
                // Bias towards the structured start of the header and the tensor directory at its end.
                let at = next() % 2 == 0 ? next() % 4096 : file.tensors[0].infoOffset + next() % (file.dataOffset - file.tensors[0].infoOffset)
                saved.append((at, base.load(fromByteOffset: at, as: UInt8.self)))
                base.storeBytes(of: UInt8(truncatingIfNeeded: next()), toByteOffset: at, as: UInt8.self)
            }
            do { try parse() } catch { refused += 1 }
            for (at, byte) in saved.reversed() { base.storeBytes(of: byte, toByteOffset: at, as: UInt8.self) }
        }
        // Random bytes mostly land in strings and values that stay valid; what matters is that nothing crashed.
        #expect(refused > 0)
    }

    /// Truncations at many points of the header and of the data section are all refused as truncated.
    @Test func truncationsAreRefused() {
        var lengths = Array(0..<64) + stride(from: 64, to: file.dataOffset, by: file.dataOffset / 97).map { $0 }
        lengths += [file.dataOffset - 1, file.dataOffset, file.dataOffset + 1, size / 2, size - 1]
        for length in lengths {
            do { try parse(length: length); Issue.record("truncation to \(length) accepted") } catch {
                #expect(error.kind == .truncated, "length \(length): \(error)")
            }
        }
    }
}
