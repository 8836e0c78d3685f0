import Foundation
import GGUF
import Testing
import Tokenization
@testable import Llama

/// The glue that builds the tokenizer and chat template from GGUF metadata, on tiny files made by GGUFWriter.
@Suite struct BPETokenizerGGUFTests {
    /// A tiny vocabulary: the byte alphabet, one merge, and two control tokens.
    static func tinyFile(model: String = "gpt2", pre: String? = "smollm", template: String? = nil) throws -> GGUFFile {
        var printable = (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) }
        printable += (0xA1...0xAC).map { String(UnicodeScalar(UInt8($0))) }
        printable += (0xAE...0xFF).map { String(UnicodeScalar(UInt8($0))) }
        let others = (0..<68).map { String(UnicodeScalar(UInt32(256 + $0))!) }
        let tokens = ["<|im_start|>", "<|im_end|>"] + printable + others + ["ab"]
        var w = try GGUFWriter()
        try w.set("tokenizer.ggml.model", .string(model))
        if let pre { try w.set("tokenizer.ggml.pre", .string(pre)) }
        try w.set("tokenizer.ggml.tokens", .array(.string(tokens)))
        try w.set("tokenizer.ggml.token_type", .array(.int32(tokens.indices.map { $0 < 2 ? 3 : 1 })))
        try w.set("tokenizer.ggml.merges", .array(.string(["a b"])))
        try w.set("tokenizer.ggml.bos_token_id", .uint32(0))
        try w.set("tokenizer.ggml.eos_token_id", .uint32(1))
        try w.set("tokenizer.ggml.add_bos_token", .bool(true))
        if let template { try w.set("tokenizer.chat_template", .string(template)) }
        return try GGUFFile(bytes: w.serialize())
    }

    @Test func buildsFromMetadata() throws {
        let t = try BPETokenizer(gguf: Self.tinyFile())
        let ab = try #require(t.id(of: "ab"))
        #expect(t.encode("ab1") == [0, ab, t.id(of: "1")!])  // add_bos on, digits alone
        #expect(t.encode("<|im_end|>", parseSpecial: true) == [0, 1])
        #expect(t.decode(t.encode("ab 12", addSpecialTokens: false)) == "ab 12")
        #expect(t.endOfGenerationIds == [1])
    }

    @Test func refusesWhatItCannotTokenize() throws {
        #expect(throws: TokenizationError.self) { try BPETokenizer(gguf: Self.tinyFile(model: "llama")) }
        #expect(throws: TokenizationError.self) { try BPETokenizer(gguf: Self.tinyFile(pre: "llama3")) }
        #expect(throws: GGUFError.self) { try BPETokenizer(gguf: Self.tinyFile(pre: nil)) }
        #expect(throws: GGUFError.self) { try ChatTemplate(gguf: Self.tinyFile()) }
        #expect(throws: TokenizationError.self) { try ChatTemplate(gguf: Self.tinyFile(template: "{{ messages }}")) }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.realModelPath),
                   "needs models/SmolLM2-135M-Instruct.Q4_1.gguf (run scripts/fetch-model.sh)"))
    func realModel() throws {
        let file = try GGUFFile(path: Self.realModelPath)
        let t = try BPETokenizer(gguf: file)
        let chat = try ChatTemplate(gguf: file)
        let text = chat.render([ChatMessage(role: "user", content: "What is 2+2?")], addGenerationPrompt: true)
        let ids = t.encode(text, parseSpecial: true)
        #expect(ids.first == 1 && t.decode(ids) == text)
        #expect(chat.defaultSystemMessage?.hasPrefix("You are a helpful AI assistant named SmolLM") == true)
    }

    static let realModelPath: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
}
