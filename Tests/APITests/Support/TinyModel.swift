import API
import Llama
import Tokenization

/// A tiny random model with a byte-level tokenizer (256 byte tokens, no merges, plus the two ChatML control
/// tokens), built in-process so engine and route tests run in milliseconds without the 98 MB file.
enum TinyModel {
    static let vocabulary: [String] = {
        // GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the rest are shifted
        // past 255 so every byte has a visible, distinct character.
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [String](repeating: "", count: 256)
        var next = 256
        for byte in 0..<256 {
            if printable.contains(byte) {
                table[byte] = String(Character(Unicode.Scalar(UInt32(byte))!))
            } else {
                table[byte] = String(Character(Unicode.Scalar(UInt32(next))!))
                next += 1
            }
        }
        return table + ["<|im_start|>", "<|im_end|>"]
    }()

    static var endOfTurn: Int { vocabulary.count - 1 }

    /// Without `endOfSequence` the two ChatML tokens are plain tokens and nothing ends a sample before its
    /// max tokens (for tests that need a decode of known length).
    static func tokenizer(endOfSequence: Bool = true) throws -> BPETokenizer {
        try BPETokenizer(tokens: vocabulary, tokenTypes: Array(repeating: 1, count: 256) + (endOfSequence ? [3, 3] : [1, 1]),
                         merges: [], configuration: .init(eosId: endOfSequence ? endOfTurn : nil), preTokenizer: .gpt2)
    }

    static func config(contextLength: Int = 256) -> LlamaConfig {
        LlamaConfig(layerCount: 2, width: 32, headCount: 4, kvHeadCount: 2, headDim: 8, ffnWidth: 48,
                    vocabSize: vocabulary.count, contextLength: contextLength, ropeBase: 10000, normEpsilon: 1e-5,
                    tiedOutput: true)
    }

    static func context(contextLength: Int = 256, seed: UInt64 = 7, endOfSequence: Bool = true) throws -> EngineContext {
        let cfg = config(contextLength: contextLength)
        let model = try LlamaModel(config: cfg, weights: try LlamaWeights.random(config: cfg, seed: seed, scale: 0.3))
        let info = ModelInfo(config: cfg, tokenizer: try tokenizer(endOfSequence: endOfSequence), chatTemplate: ChatTemplate(defaultSystemMessage: nil),
                             name: "tiny", path: "(in memory)")
        return EngineContext(info: info, model: model)
    }

    /// An engine serving a fresh tiny model.
    static func engine(limits: ComputeEngine.Limits = .init(), contextLength: Int = 256, endOfSequence: Bool = true) -> ComputeEngine {
        ComputeEngine(limits: limits) { try context(contextLength: contextLength, endOfSequence: endOfSequence) }
    }
}

/// Waits (polling, bounded) until `condition` holds; false when it never did. For states another thread reaches
/// (an engine picking up a job), not for timing anything.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return condition()
}
