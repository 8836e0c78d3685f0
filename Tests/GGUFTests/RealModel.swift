import Foundation

/// Locates the real model file (`models/SmolLM2-135M-Instruct.Q4_1.gguf` at the package root); tests that need it
/// are disabled with a message naming the file when it is absent. CI always has it (scripts/setup.sh fetches it).
enum RealModel {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }()

    static var isPresent: Bool { FileManager.default.fileExists(atPath: path) }

    static let skipMessage: Comment = "needs models/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-model.sh)"
}

import Testing
