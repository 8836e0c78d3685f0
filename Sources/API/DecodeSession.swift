import LinearAlgebra
import Llama

/// Continuous batching: the decode loop of `LlamaModel.generate`, opened up so that generation jobs can join
/// (and leave) at step boundaries. Every active sample of every admitted job advances one token per batched
/// forward pass; a job that arrives while others decode is prefilled and joins the next step instead of
/// waiting for the whole batch to finish; a job whose caller left is dropped at the next boundary.
///
/// The numbers are the same as `generate`'s: per sample a random stream (seed, g), the token sampled from the
/// request's parameters, its log-prob under the model (temperature 1), EOS, stop strings and max tokens ending
/// it. Jobs admitted together produce exactly `generate`'s samples for the same requests (a test pins it).
/// A job's observer (streaming routes) is told of each token when it is drawn and of each sample when it ends.
/// Engine-thread only.
final class DecodeSession {
    typealias Continuation = CheckedContinuation<[[GeneratedSample]], any Error>

    private struct Job {
        let id: UInt64
        let requests: [GenerationRequest]
        let continuation: Continuation
        let observer: GenerationObserver?
        var results: [[GeneratedSample?]]
        var unfinished: Int
    }

    private struct Sample {
        let job: UInt64
        let request: Int
        let index: Int
        var random: SeededRandom
        var cache: KVCache?
        var tokens: [Int] = []
        var logProbs: [Float] = []
        var finish: FinishReason?
        var stopCut: String.Index?
    }

    private let model: LlamaModel
    private let info: ModelInfo
    private let logitRows = 32
    private let workspace = ForwardWorkspace()
    private var jobs: [UInt64: Job] = [:]
    private var samples: [Sample] = []  // active ones, in admission order
    private var probabilities: [Float] = []
    private let logits: FloatBuffer

    init(model: LlamaModel, info: ModelInfo) {
        self.model = model
        self.info = info
        logits = FloatBuffer(count: logitRows * model.config.vocabSize)
    }

    /// Whether any sample is still decoding.
    var isActive: Bool { !samples.isEmpty }

    /// Samples decoding and KV positions reserved, for admission budgets.
    var load: (samples: Int, positions: Int) {
        (samples.count, jobs.values.reduce(0) { $0 + ComputeEngine.positions($1.requests) })
    }

    /// Ids of the jobs in the session.
    var jobIDs: Set<UInt64> { Set(jobs.keys) }

    /// Prefills the jobs' prompts (one batched pass, in chunks), draws every sample's first token, and adds the
    /// unfinished samples to the decode batch. A job the model refuses fails alone.
    func admit(_ incoming: [GenerationJob]) {
        var accepted: [(id: UInt64, requests: [GenerationRequest])] = []
        for job in incoming {
            do {
                try validate(job.requests)
                jobs[job.id] = Job(id: job.id, requests: job.requests, continuation: job.continuation, observer: job.observer,
                                   results: job.requests.map { [GeneratedSample?](repeating: nil, count: $0.sampleCount) },
                                   unfinished: job.requests.reduce(0) { $0 + $1.sampleCount })
                accepted.append((job.id, job.requests))
            } catch {
                job.continuation.resume(throwing: error)
            }
        }
        let requests = accepted.flatMap { job in job.requests.enumerated().map { (job: job.id, request: $0.offset, value: $0.element) } }
        if requests.isEmpty { return }
        do {
            let c = model.config.width, v = model.config.vocabSize
            let caches = try requests.map { try model.makeCache(capacity: $0.value.prompt.count) }
            let lastHidden = FloatBuffer(count: requests.count * c)  // [R, C]
            try model.prefill(zip(caches, requests).map { BatchEntry(cache: $0, tokens: $1.value.prompt) },
                              lastHidden: lastHidden, workspace: workspace)
            var fresh: [Sample] = [], owner: [Int] = []  // owner: index into requests of each fresh sample
            for (r, request) in requests.enumerated() {
                for g in 0..<request.value.sampleCount {
                    fresh.append(Sample(job: request.job, request: request.request, index: g,
                                        random: SeededRandom(seed: request.value.seed, UInt64(g))))
                    owner.append(r)
                }
            }
            for start in stride(from: 0, to: requests.count, by: logitRows) {
                let rows = min(logitRows, requests.count - start)
                model.logits(hidden: lastHidden.pointer + start * c, rows: rows, into: logits.pointer)
                for s in fresh.indices where (start..<start + rows).contains(owner[s]) {
                    let r = owner[s]
                    accept(&fresh[s], logits: logits.pointer + (r - start) * v, request: requests[r].value)
                    if fresh[s].finish == nil {
                        fresh[s].cache = try caches[r].fork(config: model.config, capacity: requests[r].value.maxTokens)
                    }
                }
            }
            for sample in fresh {
                if sample.finish == nil { samples.append(sample) } else { finish(sample) }
            }
        } catch {
            for job in accepted { fail(job.id, error) }
        }
    }

    /// One decode step: every active sample's last token through one forward pass, then one token each.
    func step() {
        if samples.isEmpty { return }
        do {
            let v = model.config.vocabSize, c = model.config.width
            let entries = samples.map { BatchEntry(cache: $0.cache!, tokens: [$0.tokens.last!]) }
            let hidden = try model.forward(entries, workspace: workspace)  // [A, C]
            for start in stride(from: 0, to: samples.count, by: logitRows) {
                let rows = min(logitRows, samples.count - start)
                model.logits(hidden: hidden.pointer + start * c, rows: rows, into: logits.pointer)
                for i in 0..<rows {
                    let s = start + i
                    guard let request = jobs[samples[s].job]?.requests[samples[s].request] else { continue }
                    accept(&samples[s], logits: logits.pointer + i * v, request: request)
                }
            }
            let done = samples.filter { $0.finish != nil }
            samples.removeAll { $0.finish != nil }
            for sample in done { finish(sample) }
        } catch {
            for id in Array(jobs.keys) { fail(id, error) }
        }
    }

    /// Drops jobs whose callers left: their samples leave the batch and the callers get `CancellationError`.
    func drop(_ ids: Set<UInt64>) {
        for id in ids where jobs[id] != nil { fail(id, CancellationError()) }
    }

    private func fail(_ id: UInt64, _ error: any Error) {
        guard let job = jobs.removeValue(forKey: id) else { return }
        samples.removeAll { $0.job == id }
        job.continuation.resume(throwing: error)
    }

    private func finish(_ sample: Sample) {
        guard var job = jobs[sample.job] else { return }
        let visible = sample.finish == .endOfSequence ? Array(sample.tokens.dropLast()) : sample.tokens
        var text = info.tokenizer.text(of: visible)
        if let cut = sample.stopCut { text = String(text[..<cut]) }
        let generated = GeneratedSample(tokens: sample.tokens, logProbs: sample.logProbs, text: text,
                                        finishReason: sample.finish ?? .length)
        job.results[sample.request][sample.index] = generated
        job.observer?(.finished(request: sample.request, sample: sample.index, generated))
        job.unfinished -= 1
        if job.unfinished == 0 {
            jobs[sample.job] = nil
            job.continuation.resume(returning: job.results.map { $0.map { $0! } })
        } else {
            jobs[sample.job] = job
        }
    }

    /// The checks `generate` makes, so a refused job fails alone before it touches the batch.
    private func validate(_ requests: [GenerationRequest]) throws {
        for (index, request) in requests.enumerated() {
            let context = "request \(index)"
            if request.prompt.isEmpty { throw LlamaError.invalidRequest("\(context): empty prompt") }
            if let bad = request.prompt.first(where: { $0 < 0 || $0 >= model.config.vocabSize }) {
                throw LlamaError.tokenOutOfRange(token: bad, vocabSize: model.config.vocabSize, context: "\(context) prompt")
            }
            try request.sampling.validate()
            if !(1...1024).contains(request.sampleCount) {
                throw LlamaError.invalidRequest("\(context): sample count \(request.sampleCount) not in 1...1024")
            }
            if request.maxTokens < 1 { throw LlamaError.invalidRequest("\(context): max tokens \(request.maxTokens) must be >= 1") }
            if request.prompt.count + request.maxTokens > model.config.contextLength {
                throw LlamaError.invalidRequest("\(context): prompt \(request.prompt.count) + max tokens \(request.maxTokens) "
                                                + "exceed the context length \(model.config.contextLength)")
            }
            if request.stop.contains(where: \.isEmpty) { throw LlamaError.invalidRequest("\(context): empty stop string") }
        }
    }

    /// Samples one token, records it and its log-prob, and decides whether the sample finished.
    private func accept(_ sample: inout Sample, logits: UnsafePointer<Float>, request: GenerationRequest) {
        let v = model.config.vocabSize
        let token = Sampler.sample(logits: logits, count: v, parameters: request.sampling, random: &sample.random,
                                   probabilities: &probabilities)
        let logProb = Float(Double(logits[token]) - Kernels.logSumExp(logits, count: v))
        sample.tokens.append(token)
        sample.logProbs.append(logProb)
        jobs[sample.job]?.observer?(.token(request: sample.request, sample: sample.index, token: token, logProb: logProb))
        if info.endOfSequence.contains(token) {
            sample.finish = .endOfSequence
        } else if !request.stop.isEmpty {
            let text = info.tokenizer.text(of: sample.tokens)
            if let first = request.stop.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                sample.finish = .stopString
                sample.stopCut = first
            }
        }
        if sample.finish == nil && sample.tokens.count >= request.maxTokens { sample.finish = .length }
    }
}
