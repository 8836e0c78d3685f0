import Alignment
import Foundation
import HTTP
import Llama
import Testing
@testable import API

@Suite struct CheckpointCatalogTests {
    static func trainer(seed: UInt64 = 1) throws -> PolicyTrainer {
        let cfg = LlamaConfig(layerCount: 2, width: 32, headCount: 4, kvHeadCount: 2, headDim: 8, ffnWidth: 48,
                              vocabSize: 61, contextLength: 64, ropeBase: 10000, normEpsilon: 1e-5, tiedOutput: true)
        let model = try LlamaModel(config: cfg, weights: LlamaWeights.random(config: cfg, seed: seed, scale: 0.3))
        return try PolicyTrainer(model: model, config: TrainerConfig(schedule: LearningRateSchedule(peak: 1e-3)))
    }

    static func weights(_ t: PolicyTrainer) -> [Float] { t.model.weights.trainableTensors(tied: true).flatMap(\.buffer.array) }

    @Test func namesCannotEscapeTheDirectory() {
        for name in ["", "..", "../x", "a/b", ".hidden", "-rf", "a..b", "x.tmp-1", "x.old-2", "ü", String(repeating: "c", count: 65)] {
            let error = httpError { try CheckpointCatalog.validateName(name, path: "$.name") }
            #expect(error?.status == .badRequest, "\(name)")
        }
        for name in ["step-10", "best_v2.1", "A"] { #expect(httpError { try CheckpointCatalog.validateName(name, path: "$.name") } == nil) }
    }

    @Test func saveListLoadRoundTrip() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let catalog = try CheckpointCatalog(directory: dir.path)
        let trainer = try Self.trainer(seed: 1)
        let info = try catalog.save(trainer, name: "first", objective: "grao", baseModelSHA256: "abc",
                                    hyperParameters: ["beta": "0.5"], overwrite: false)
        #expect(info.metadata?.kind == "full" && info.metadata?.objective == "grao" && info.problem == nil && info.bytes > 0)
        #expect(httpError { _ = try catalog.save(trainer, name: "first", objective: "grao", baseModelSHA256: "abc", overwrite: false) }?.status == .conflict)
        _ = try catalog.save(trainer, name: "first", objective: "sft", baseModelSHA256: "abc", overwrite: true)
        #expect(catalog.list().map(\.name) == ["first"])
        #expect(catalog.list().first?.metadata?.objective == "sft")

        let other = try Self.trainer(seed: 2)
        #expect(Self.weights(other) != Self.weights(trainer))
        let meta = try catalog.load("first", into: other, baseModelSHA256: "abc")
        #expect(meta.objective == "sft")
        #expect(Self.weights(other) == Self.weights(trainer))
        #expect(httpError { _ = try catalog.load("missing", into: other, baseModelSHA256: "abc") }?.status == .notFound)
        #expect(httpError { _ = try catalog.load("../first", into: other, baseModelSHA256: "abc") }?.status == .badRequest)
    }

    @Test func corruptOrMismatchedCheckpointsKeepTheCurrentWeights() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let catalog = try CheckpointCatalog(directory: dir.path)
        _ = try catalog.save(try Self.trainer(seed: 1), name: "saved", objective: "grao", baseModelSHA256: "abc", overwrite: false)
        let live = try Self.trainer(seed: 2)
        let before = Self.weights(live)

        let mismatch = httpError { _ = try catalog.load("saved", into: live, baseModelSHA256: "other") }
        #expect(mismatch?.status == .conflict)
        #expect(mismatch?.message.contains("base model") == true)
        #expect(Self.weights(live) == before)

        let tensorPath = dir.path + "/saved/model.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tensorPath))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: tensorPath))
        let corrupt = httpError { _ = try catalog.load("saved", into: live, baseModelSHA256: "abc") }
        #expect(corrupt?.status == .conflict)
        #expect(corrupt?.message.contains("corrupt") == true)
        #expect(Self.weights(live) == before)
    }

    @Test func interruptedWritesAreRecoveredAtOpen() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        var catalog = try CheckpointCatalog(directory: dir.path)
        _ = try catalog.save(try Self.trainer(), name: "kept", objective: "grao", baseModelSHA256: "abc", overwrite: false)
        // A crash after moving the old checkpoint aside and before the new one landed, plus a half-written one.
        try FileManager.default.moveItem(atPath: dir.path + "/kept", toPath: dir.path + "/kept.old-4242")
        try FileManager.default.createDirectory(atPath: dir.path + "/half.tmp-4242", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: dir.path + "/junk", withIntermediateDirectories: false)
        catalog = try CheckpointCatalog(directory: dir.path)
        #expect(catalog.list().map(\.name) == ["junk", "kept"])
        #expect(catalog.list().last?.problem == nil)
        #expect(catalog.list().first?.problem?.contains("grao_checkpoint.json") == true)  // listed, not hidden
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/half.tmp-4242"))
    }
}
