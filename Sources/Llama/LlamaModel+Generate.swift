import LinearAlgebra

extension LlamaModel {
    /// Generates `sampleCount` completions for each request. Each prompt is prefilled once (all
    /// prompts in one batched pass); its samples fork its cache and every active sample of every
    /// request decodes in one batched forward pass per step. Finished samples leave the batch.
    ///
    /// - Parameters:
    ///   - endOfSequence: token ids that end a sample (the GGUF's EOS, e.g. `<|im_end|>`).
    ///   - decoder: needed when a request has stop strings; also fills `text`.
    /// - Returns: per request, its samples in order.
    public func generate(_ requests: [GenerationRequest], endOfSequence: Set<Int>,
                         decoder: (any TokenTextDecoding)? = nil, logitRows: Int = 32) throws -> [[GeneratedSample]] {
        for (index, request) in requests.enumerated() {
            let context = "request \(index)"
            if request.prompt.isEmpty { throw LlamaError.invalidRequest("\(context): empty prompt") }
            try checkTokens(request.prompt, context: "\(context) prompt")
            try request.sampling.validate()
            if !(1...1024).contains(request.sampleCount) {
                throw LlamaError.invalidRequest("\(context): sample count \(request.sampleCount) not in 1...1024")
            }
            if request.maxTokens < 1 {
                throw LlamaError.invalidRequest("\(context): max tokens \(request.maxTokens) must be >= 1")
            }
            if request.prompt.count + request.maxTokens > config.contextLength {
                throw LlamaError.invalidRequest("\(context): prompt \(request.prompt.count) + max tokens "
                    + "\(request.maxTokens) exceed the context length \(config.contextLength)")
            }
            if !request.stop.isEmpty && decoder == nil {
                throw LlamaError.invalidRequest("\(context): stop strings need a tokenizer to decode text")
            }
            if request.stop.contains(where: \.isEmpty) {
                throw LlamaError.invalidRequest("\(context): empty stop string")
            }
        }
        let v = config.vocabSize, c = config.width
        let workspace = ForwardWorkspace()

        // Prefill every prompt; keep the last row's hidden state of each.
        let promptCaches = try requests.map { try makeCache(capacity: $0.prompt.count) }
        let lastHidden = FloatBuffer(count: requests.count * c)  // [R, C]
        try prefill(requests.indices.map { BatchEntry(cache: promptCaches[$0], tokens: requests[$0].prompt) },
                    lastHidden: lastHidden, workspace: workspace)

        var samples: [SampleState] = []
        for (r, request) in requests.enumerated() {
            for g in 0..<request.sampleCount {
                samples.append(SampleState(request: r, random: SeededRandom(seed: request.seed, UInt64(g))))
            }
        }
        var results = requests.map { [GeneratedSample?](repeating: nil, count: $0.sampleCount) }
        var probabilities: [Float] = []
        let logits = FloatBuffer(count: min(max(requests.count, samples.count), logitRows) * v)

        // First token of every sample from its prompt's logits (one LM-head pass per prompt chunk).
        var active: [Int] = []  // indices into samples
        for start in stride(from: 0, to: requests.count, by: logitRows) {
            let rows = min(logitRows, requests.count - start)
            self.logits(hidden: lastHidden.pointer + start * c, rows: rows, into: logits.pointer)
            for s in samples.indices where (start..<start + rows).contains(samples[s].request) {
                let r = samples[s].request
                accept(&samples[s], logits: logits.pointer + (r - start) * v, request: requests[r],
                       probabilities: &probabilities, endOfSequence: endOfSequence, decoder: decoder)
                if samples[s].finish == nil {
                    samples[s].cache = try promptCaches[r].fork(config: config, capacity: requests[r].maxTokens)
                    active.append(s)
                }
            }
        }

        // Decode: all active samples of all requests, one token each per step.
        while !active.isEmpty {
            let entries = active.map { BatchEntry(cache: samples[$0].cache!, tokens: [samples[$0].tokens.last!]) }
            let hidden = try forward(entries, workspace: workspace)  // [A, C]
            for start in stride(from: 0, to: active.count, by: logitRows) {
                let rows = min(logitRows, active.count - start)
                self.logits(hidden: hidden.pointer + start * c, rows: rows, into: logits.pointer)
                for i in 0..<rows {
                    let s = active[start + i]
                    accept(&samples[s], logits: logits.pointer + i * v, request: requests[samples[s].request],
                           probabilities: &probabilities, endOfSequence: endOfSequence, decoder: decoder)
                }
            }
            active.removeAll { samples[$0].finish != nil }
        }

        var perRequestIndex = [Int](repeating: 0, count: requests.count)
        for state in samples {
            let r = state.request
            var text = ""
            if let decoder {
                let visible = state.finish == .endOfSequence ? Array(state.tokens.dropLast()) : state.tokens
                text = decoder.text(of: visible)
                if let cut = state.stopCut { text = String(text[..<cut]) }
            }
            results[r][perRequestIndex[r]] = GeneratedSample(tokens: state.tokens, logProbs: state.logProbs,
                                                             text: text, finishReason: state.finish ?? .length)
            perRequestIndex[r] += 1
        }
        return results.map { $0.map { $0! } }
    }

    /// Feeds prompts (in passes of at most `chunk` tokens, so attention scratch stays bounded) and
    /// copies each entry's last hidden row into `lastHidden` [entries, C]. Public for decoders that keep their
    /// own batch (the API's continuous batching).
    public func prefill(_ entries: [BatchEntry], lastHidden: FloatBuffer, workspace: ForwardWorkspace,
                 chunk: Int = 1024) throws {
        let c = config.width
        var offsets = [Int](repeating: 0, count: entries.count)  // tokens already fed per entry
        while true {
            var batch: [BatchEntry] = []
            var owners: [Int] = []
            var budget = chunk
            for (i, entry) in entries.enumerated() where offsets[i] < entry.tokens.count && budget > 0 {
                let take = min(budget, entry.tokens.count - offsets[i])
                batch.append(BatchEntry(cache: entry.cache, tokens: Array(entry.tokens[offsets[i]..<offsets[i] + take])))
                owners.append(i)
                budget -= take
            }
            if batch.isEmpty { return }
            let hidden = try forward(batch, workspace: workspace)
            var row = 0
            for (b, i) in owners.enumerated() {
                offsets[i] += batch[b].tokens.count
                row += batch[b].tokens.count
                if offsets[i] == entries[i].tokens.count {
                    (lastHidden.pointer + i * c).update(from: hidden.pointer + (row - 1) * c, count: c)
                }
            }
        }
    }

    /// Samples one token for `state`, records it and its log-prob, and decides whether it finished.
    private func accept(_ state: inout SampleState, logits: UnsafePointer<Float>, request: GenerationRequest,
                        probabilities: inout [Float], endOfSequence: Set<Int>, decoder: (any TokenTextDecoding)?) {
        let v = config.vocabSize
        let token = Sampler.sample(logits: logits, count: v, parameters: request.sampling, random: &state.random,
                                   probabilities: &probabilities)
        state.tokens.append(token)
        state.logProbs.append(Float(Double(logits[token]) - Kernels.logSumExp(logits, count: v)))
        if endOfSequence.contains(token) {
            state.finish = .endOfSequence
        } else if !request.stop.isEmpty, let decoder {
            let text = decoder.text(of: state.tokens)
            let matches = request.stop.compactMap { text.range(of: $0)?.lowerBound }
            if let first = matches.min() {
                state.finish = .stopString
                state.stopCut = first
            }
        }
        if state.finish == nil && state.tokens.count >= request.maxTokens { state.finish = .length }
    }
}

/// Progress of one sample during generation.
private struct SampleState {
    let request: Int
    var random: SeededRandom
    var cache: KVCache?
    var tokens: [Int] = []
    var logProbs: [Float] = []
    var finish: FinishReason?
    var stopCut: String.Index?

    init(request: Int, random: SeededRandom) {
        self.request = request
        self.random = random
    }
}
