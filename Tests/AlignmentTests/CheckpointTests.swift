import Foundation
import Testing
@testable import Alignment
@testable import LinearAlgebra
@testable import Llama

/// Checkpoints: a round trip restores bit-identical log-probs and optimizer state (LoRA and full); corrupt,
/// mismatched or incomplete checkpoints are refused with the trainer untouched; SHA-256 and safetensors
/// against known values and hostile bytes.
@Suite struct CheckpointTests {
    static func directory(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grao-ckpt-\(UUID().uuidString)").path
        return (dir as NSString).appendingPathComponent(name)
    }

    static let pairs = [ScoringPair(prompt: [1, 2, 3], completion: [4, 5, 6, 2]), ScoringPair(prompt: [9], completion: [10, 11])]
    static let items = [PolicyTrainerTests.graoItem([1, 0.5, 0], referenceReward: 0.5)]

    @Test(arguments: [TrainingMode.full, .lora(LoRAConfig(rank: 2, alpha: 4, targets: [.q, .k, .o, .up]))])
    func roundTripRestoresIdenticalLogProbs(mode: TrainingMode) throws {
        let trained = try PolicyTrainerTests.trainer(try PolicyTrainerTests.model(), mode: mode, learningRate: 1e-2)
        for _ in 0..<2 { _ = try trained.step(Self.items) }
        let dir = Self.directory("step-2")
        try Checkpoint.save(trained, to: dir, objective: "grao", baseModelSHA256: "abc", hyperParameters: ["beta": "0.5"])
        try Checkpoint.save(trained, to: dir, objective: "grao", baseModelSHA256: "abc")  // replacing works too

        let fresh = try PolicyTrainerTests.trainer(try PolicyTrainerTests.model(), mode: mode, learningRate: 1e-2)
        #expect(try fresh.policyLogProbs(Self.pairs) != trained.policyLogProbs(Self.pairs))
        let meta = try Checkpoint.load(into: fresh, from: dir, baseModelSHA256: "abc")
        #expect(meta.step == 2 && meta.objective == "grao" && meta.kind == (trained.adapters == nil ? "full" : "lora"))
        #expect(try fresh.policyLogProbs(Self.pairs) == trained.policyLogProbs(Self.pairs))
        #expect(fresh.optimizer.step == 2 && fresh.optimizer.firstMoments == trained.optimizer.firstMoments)
        #expect(fresh.optimizer.secondMoments == trained.optimizer.secondMoments)
        // Training continues identically after resume.
        let a = try trained.step(Self.items), b = try fresh.step(Self.items)
        #expect(a.loss == b.loss && a.gradNorm == b.gradNorm)
        if trained.adapters != nil {
            #expect(FileManager.default.fileExists(atPath: dir + "/adapter_model.safetensors"))
            #expect(FileManager.default.fileExists(atPath: dir + "/adapter_config.json"))
        }
    }

    @Test func badCheckpointsAreRefusedAndChangeNothing() throws {
        let lora = TrainingMode.lora(LoRAConfig(rank: 2, alpha: 4, targets: [.v]))
        let trained = try PolicyTrainerTests.trainer(try PolicyTrainerTests.model(), mode: lora, learningRate: 1e-2)
        _ = try trained.step(Self.items)
        let dir = Self.directory("lora")
        try Checkpoint.save(trained, to: dir, objective: "grao", baseModelSHA256: "abc")

        let target = try PolicyTrainerTests.trainer(try PolicyTrainerTests.model(), mode: lora)
        let before = try target.policyLogProbs(Self.pairs)
        func refused(_ trainer: PolicyTrainer, hash: String = "abc", _ what: String) {
            #expect(throws: AlignmentError.self, "\(what)") { try Checkpoint.load(into: trainer, from: dir, baseModelSHA256: hash) }
        }
        refused(target, hash: "other", "base model mismatch")
        refused(try PolicyTrainerTests.trainer(try PolicyTrainerTests.model()), "LoRA checkpoint into full trainer")
        refused(try PolicyTrainerTests.trainer(try PolicyTrainerTests.model(),
                                               mode: .lora(LoRAConfig(rank: 3, alpha: 4, targets: [.v]))), "rank mismatch")
        // Flip one byte of the adapter tensors.
        let file = dir + "/adapter_model.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: file))
        refused(target, "corrupt tensor file")
        try FileManager.default.removeItem(atPath: file)
        refused(target, "missing tensor file")
        #expect(throws: AlignmentError.self) { try Checkpoint.load(into: target, from: dir + "-nowhere", baseModelSHA256: "abc") }
        #expect(try target.policyLogProbs(Self.pairs) == before)
        #expect(target.optimizer.step == 0)
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(of: long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var split = SHA256()  // feeding in odd pieces gives the same digest
        long.withUnsafeBytes { all in
            split.update(UnsafeRawBufferPointer(rebasing: all[0..<5]))
            split.update(UnsafeRawBufferPointer(rebasing: all[5..<50]))
            split.update(UnsafeRawBufferPointer(rebasing: all[50...]))
        }
        #expect(split.finalizeHex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func safeTensorsRoundTripAndHostileBytes() throws {
        let tensors = [SafeTensors.Tensor(name: "a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                       SafeTensors.Tensor(name: "b", shape: [1], values: [-0.5])]
        let data = try SafeTensors.serialize(tensors, metadata: ["k": "v"])
        let parsed = try SafeTensors.parse(data)
        #expect(parsed.tensors["a"] == tensors[0] && parsed.tensors["b"] == tensors[1] && parsed.metadata == ["k": "v"])
        #expect(throws: AlignmentError.self) { try SafeTensors.parse(data.prefix(5)) }
        #expect(throws: AlignmentError.self) { try SafeTensors.parse(data.prefix(data.count - 1)) }
        var huge = data
        huge.replaceSubrange(0..<8, with: [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
        #expect(throws: AlignmentError.self) { try SafeTensors.parse(huge) }
        let bad = try JSONSerialization.data(withJSONObject: ["x": ["dtype": "F16", "shape": [1], "data_offsets": [0, 2]]])
        var file = Data()
        withUnsafeBytes(of: UInt64(bad.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(bad)
        file.append(contentsOf: [0, 0])
        #expect(throws: AlignmentError.self) { try SafeTensors.parse(file) }
        #expect(throws: AlignmentError.self) { try SafeTensors.serialize([tensors[0], tensors[0]]) }
    }
}
