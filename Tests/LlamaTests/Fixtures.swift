import Foundation
import GGUF
@testable import Llama

/// Paths of the reference fixtures (made by tools/fixtures/make_fixtures.py from Hugging Face
/// transformers in float32, cross-checked against llama.cpp) and of the real model.
enum FixturePaths {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let realModel = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static var realModelPresent: Bool { FileManager.default.fileExists(atPath: realModel) }

    static func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// The real model, loaded once for every test that needs it (a few seconds of dequantization).
enum RealModel {
    static let loaded: Result<LlamaModel, any Error> = Result {
        try LlamaModel(gguf: try GGUFFile(path: FixturePaths.realModel))
    }
    static func model() throws -> LlamaModel { try loaded.get() }
}

/// `logprobs.json`: teacher-forced log-probs of (prompt, completion) pairs.
struct LogProbFixture: Decodable {
    let prompt_ids: [Int]
    let completion_ids: [Int]
    let logprobs: [Double]
}

/// `greedy.json`: argmax continuations (through EOS, no stopping) of chat prompts.
struct GreedyFixture: Decodable {
    let prompt_ids: [Int]
    let greedy_ids: [Int]
    let min_logit_margin: Double
}

/// `tiny_llama*_logits.json`: logits of every position of a few sequences under a tiny random GGUF.
struct TinyLogitsFixture: Decodable {
    let token_ids: [[Int]]
    let logits: [[[Double]]]  // [sequence][position][vocab]
}
