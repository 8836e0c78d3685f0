import ArgumentParser
import Foundation
import Llama

/// `--model PATH`, shared by every command that runs the model.
struct ModelOptions: ParsableArguments {
    @Option(help: "Path of the GGUF model file.")
    var model = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// Loads the model (and its tokenizer), or explains how to get the file.
    func loadModel() throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("model file '\(model)' not found: run scripts/setup.sh to download it, or pass --model PATH")
        }
        throw ValidationError("GGUF loading is not merged yet")
    }
}

/// A model with what the CLI needs next to it.
struct LoadedModel {
    let model: LlamaModel
}
