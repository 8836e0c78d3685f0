/// Token types as GGUF stores them in `tokenizer.ggml.token_type` (llama.cpp's numbering). They decide which tokens
/// are matched as whole units in text (control and user-defined) and how a token decodes.
public enum TokenType: Int, Sendable {
    case normal = 1
    case unknown = 2
    /// Structural tokens such as `<|im_start|>`: matched in text only when special parsing is asked for.
    case control = 3
    /// Added tokens that are always matched in text as whole units.
    case userDefined = 4
    case unused = 5
    case byte = 6
}
