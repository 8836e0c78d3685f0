import GGUF
import Tokenization

extension BPETokenizer {
    /// Builds the tokenizer a GGUF file describes (`tokenizer.ggml.*`). Only byte-level BPE (`model = gpt2`) is
    /// supported; other tokenizer models and unknown pre-tokenizers are refused with an error naming them.
    /// Throws `GGUFError` for missing or mistyped keys and `TokenizationError` for unusable values.
    public init(gguf file: GGUFFile) throws {
        let m = file.metadata
        let model = try m.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw TokenizationError(.invalidVocabulary,
                                    "tokenizer.ggml.model '\(model)' is not supported (only gpt2 byte-level BPE)")
        }
        // Absent ids and flags mean "none" / off, as in llama.cpp; present ones must have the right type.
        func optionalInt(_ key: String) throws -> Int? { m[key] == nil ? nil : try m.int(key) }
        func optionalBool(_ key: String) throws -> Bool { m[key] == nil ? false : try m.bool(key) }
        let configuration = Configuration(
            bosId: try optionalInt("tokenizer.ggml.bos_token_id"),
            eosId: try optionalInt("tokenizer.ggml.eos_token_id"),
            unknownId: try optionalInt("tokenizer.ggml.unknown_token_id"),
            paddingId: try optionalInt("tokenizer.ggml.padding_token_id"),
            addBOS: try optionalBool("tokenizer.ggml.add_bos_token"),
            addEOS: try optionalBool("tokenizer.ggml.add_eos_token"))
        try self.init(
            tokens: try m.stringArray("tokenizer.ggml.tokens"),
            tokenTypes: m["tokenizer.ggml.token_type"] == nil ? nil : try m.intArray("tokenizer.ggml.token_type"),
            merges: try m.stringArray("tokenizer.ggml.merges"),
            configuration: configuration,
            // Required: llama.cpp's fallback for a missing name is a different pattern set, which grao does not have.
            preTokenizer: try PreTokenizer(ggufName: try m.string("tokenizer.ggml.pre")))
    }
}

extension ChatTemplate {
    /// The chat template of a GGUF file (`tokenizer.chat_template`); refused when absent or not ChatML-shaped.
    public init(gguf file: GGUFFile) throws {
        try self.init(jinja: try file.metadata.string("tokenizer.chat_template"))
    }
}
