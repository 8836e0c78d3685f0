import Tokenization

/// The GGUF tokenizer decodes generated text for stop strings and for `GeneratedSample.text`; control
/// tokens other than the EOS (which the generator drops) are kept as their text.
extension BPETokenizer: TokenTextDecoding {
    public func text(of tokens: [Int]) -> String { decode(tokens) }
}
