import Foundation
import GGUF
import Testing
@testable import Tokenization

/// The real SmolLM2 vocabulary, read from the model file with plain GGUF accessors (the Llama module has the
/// production glue; this keeps these tests free of it). Tests that need it are disabled with a message when the
/// model file is absent; CI always has it.
enum RealVocabulary {
    static let path: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }()

    static var isPresent: Bool { FileManager.default.fileExists(atPath: path) }

    static let skipMessage: Comment = "needs models/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-model.sh)"

    static let file: GGUFFile = try! GGUFFile(path: path)

    static let tokenizer: BPETokenizer = {
        let m = file.metadata
        return try! BPETokenizer(
            tokens: m.stringArray("tokenizer.ggml.tokens"), tokenTypes: m.intArray("tokenizer.ggml.token_type"),
            merges: m.stringArray("tokenizer.ggml.merges"),
            configuration: .init(bosId: m.int("tokenizer.ggml.bos_token_id"),
                                 eosId: m.int("tokenizer.ggml.eos_token_id"),
                                 unknownId: m.int("tokenizer.ggml.unknown_token_id"),
                                 paddingId: m.int("tokenizer.ggml.padding_token_id"),
                                 addBOS: m.bool("tokenizer.ggml.add_bos_token")),
            preTokenizer: PreTokenizer(ggufName: m.string("tokenizer.ggml.pre")))
    }()

    static let chatTemplate: ChatTemplate = try! ChatTemplate(jinja: file.metadata.string("tokenizer.chat_template"))
}
