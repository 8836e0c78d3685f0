/// The numbers that define a Llama-architecture model. Read from GGUF metadata
/// (`LlamaConfig+GGUF.swift`) or set directly for the tiny random models the tests build.
public struct LlamaConfig: Sendable, Equatable, Codable {
    /// L: transformer blocks (`llama.block_count`).
    public var layerCount: Int
    /// C: residual stream width (`llama.embedding_length`).
    public var width: Int
    /// NH: query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// NKV: key/value heads, NH a multiple of it (`llama.attention.head_count_kv`); grouped-query attention.
    public var kvHeadCount: Int
    /// HD: width of one head; RoPE rotates all of it (`llama.rope.dimension_count`).
    public var headDim: Int
    /// F: hidden width of the SwiGLU feed-forward (`llama.feed_forward_length`).
    public var ffnWidth: Int
    /// V: vocabulary size (token embedding rows).
    public var vocabSize: Int
    /// Longest sequence the model was trained for (`llama.context_length`); caches never exceed it.
    public var contextLength: Int
    /// RoPE base frequency (`llama.rope.freq_base`).
    public var ropeBase: Float
    /// RMSNorm epsilon (`llama.attention.layer_norm_rms_epsilon`).
    public var normEpsilon: Float
    /// True when the LM head reuses the token embedding (no `output.weight` tensor).
    public var tiedOutput: Bool

    /// Memberwise; call `validate()` before use (the GGUF loader does).
    public init(layerCount: Int, width: Int, headCount: Int, kvHeadCount: Int, headDim: Int, ffnWidth: Int,
                vocabSize: Int, contextLength: Int, ropeBase: Float, normEpsilon: Float, tiedOutput: Bool) {
        self.layerCount = layerCount
        self.width = width
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.ffnWidth = ffnWidth
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.ropeBase = ropeBase
        self.normEpsilon = normEpsilon
        self.tiedOutput = tiedOutput
    }

    /// Query projection width, NH·HD.
    public var queryWidth: Int { headCount * headDim }
    /// Key (and value) projection width, NKV·HD.
    public var kvWidth: Int { kvHeadCount * headDim }
    /// Width of the fused q|k|v projection output.
    public var qkvWidth: Int { queryWidth + 2 * kvWidth }

    /// Refuses values that would make the forward pass meaningless or allocations absurd. The caps
    /// are far above any model this CPU engine can run and exist only to bound allocation sizes.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw LlamaError.invalidConfig(message) }
        }
        try check((1...512).contains(layerCount), "layer count \(layerCount) not in 1...512")
        try check((1...65536).contains(width), "width \(width) not in 1...65536")
        try check((1...1024).contains(headCount), "head count \(headCount) not in 1...1024")
        try check(kvHeadCount >= 1 && headCount % kvHeadCount == 0,
                  "head count \(headCount) is not a multiple of KV head count \(kvHeadCount)")
        try check(headDim >= 2 && headDim % 2 == 0 && headDim <= 1024, "head dim \(headDim) must be even, 2...1024")
        try check(queryWidth <= 65536, "query width \(queryWidth) too large")
        try check((1...262_144).contains(ffnWidth), "FFN width \(ffnWidth) not in 1...262144")
        try check((1...1_048_576).contains(vocabSize), "vocab size \(vocabSize) not in 1...1048576")
        try check((1...1_048_576).contains(contextLength), "context length \(contextLength) not in 1...1048576")
        try check(ropeBase.isFinite && ropeBase > 1, "RoPE base \(ropeBase) must be finite and > 1")
        try check(normEpsilon.isFinite && normEpsilon > 0 && normEpsilon < 1, "norm epsilon \(normEpsilon) not in (0, 1)")
    }

    /// Parameters in the matrices and norms (the tied head counted once).
    public var parameterCount: Int {
        let perLayer = 2 * width + width * qkvWidth + queryWidth * width + 3 * width * ffnWidth
        return vocabSize * width * (tiedOutput ? 1 : 2) + layerCount * perLayer + width
    }
}
