import GGUF

extension LlamaConfig {
    /// Reads every dimension from the GGUF metadata of a `llama`-architecture file. Keys follow
    /// llama.cpp's names under the architecture prefix. Two are derived when absent, as llama.cpp
    /// derives them: `rope.dimension_count` (= width / heads) and the vocabulary size (= rows of
    /// `token_embd.weight`); when present they must agree with the tensors.
    public init(gguf file: GGUFFile) throws {
        let metadata = file.metadata
        func get<T>(_ key: String, _ read: (String) throws(GGUFError) -> T) throws -> T {
            do { return try read(key) } catch { throw LlamaError.metadata(key: key, problem: error.message) }
        }
        let architecture = try get("general.architecture", metadata.string)
        guard architecture == "llama" else {
            throw LlamaError.metadata(key: "general.architecture", problem: "'\(architecture)' is not supported (only 'llama')")
        }
        let p = architecture + "."
        if let scaling = metadata[p + "rope.scaling.type"]?.stringValue, scaling != "none" {
            throw LlamaError.metadata(key: p + "rope.scaling.type", problem: "'\(scaling)' is not supported")
        }
        let width = try get(p + "embedding_length", metadata.int)
        let heads = try get(p + "attention.head_count", metadata.int)
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.dims.count == 2 else {
            throw LlamaError.tensor(name: "token_embd.weight", problem: "missing or not two-dimensional")
        }
        let vocab = embedding.dims[1]
        if metadata[p + "vocab_size"] != nil {
            let declared = try get(p + "vocab_size", metadata.int)
            if declared != vocab {
                throw LlamaError.metadata(key: p + "vocab_size", problem: "\(declared) but token_embd.weight has \(vocab) rows")
            }
        }
        let headDim = metadata[p + "rope.dimension_count"] == nil
            ? (heads > 0 ? width / heads : 0) : try get(p + "rope.dimension_count", metadata.int)
        self.init(
            layerCount: try get(p + "block_count", metadata.int),
            width: width,
            headCount: heads,
            kvHeadCount: try get(p + "attention.head_count_kv", metadata.int),
            headDim: headDim,
            ffnWidth: try get(p + "feed_forward_length", metadata.int),
            vocabSize: vocab,
            contextLength: try get(p + "context_length", metadata.int),
            ropeBase: try get(p + "rope.freq_base", metadata.float),
            normEpsilon: try get(p + "attention.layer_norm_rms_epsilon", metadata.float),
            tiedOutput: file.tensor(named: "output.weight") == nil)
        try validate()
        if headDim * heads != width {
            // The attention output projection maps NH·HD back to C; this engine assumes they are equal.
            throw LlamaError.invalidConfig("heads \(heads) × head dim \(headDim) != width \(width)")
        }
    }
}
