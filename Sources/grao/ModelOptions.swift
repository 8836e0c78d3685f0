import ArgumentParser
import Foundation
import GGUF
import Llama
import Tokenization

/// `--model PATH`, shared by every command that runs the model.
struct ModelOptions: ParsableArguments {
    @Option(help: "Path of the GGUF model file.")
    var model = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// Maps the file, or explains how to get it.
    func openFile() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("model file '\(model)' not found: run scripts/setup.sh to download it, or pass --model PATH")
        }
        do { return try GGUFFile(path: model) } catch { throw ValidationError("\(model): \(error)") }
    }

    /// The tokenizer (and chat template, when the file has one) only: no weights are read.
    func loadTokenizer() throws -> (file: GGUFFile, tokenizer: BPETokenizer) {
        let file = try openFile()
        do { return (file, try BPETokenizer(gguf: file)) } catch { throw ValidationError("\(model): \(error)") }
    }

    /// Tokenizer and model with every weight dequantized to f32.
    func loadModel() throws -> LoadedModel {
        let (file, tokenizer) = try loadTokenizer()
        do {
            return LoadedModel(file: file, tokenizer: tokenizer, model: try LlamaModel(gguf: file))
        } catch { throw ValidationError("\(model): \(error)") }
    }
}

/// A model with what the CLI needs next to it.
struct LoadedModel {
    let file: GGUFFile
    let tokenizer: BPETokenizer
    let model: LlamaModel

    /// Prompt token ids: the text as is, or (with `chat`) wrapped as one user message in the file's
    /// chat template with the assistant header appended. Template control tokens are parsed as
    /// special tokens; in plain text they are parsed only when `special` is set.
    func promptTokens(_ text: String, chat: Bool, special: Bool) throws -> [Int] {
        guard chat else { return tokenizer.encode(text, parseSpecial: special) }
        let template: ChatTemplate
        do { template = try ChatTemplate(gguf: file) } catch { throw ValidationError("chat template: \(error)") }
        let rendered = template.render([ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
        return tokenizer.encode(rendered, parseSpecial: true)
    }
}

/// Prints one JSON value on a line (sorted keys, so output is stable).
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
