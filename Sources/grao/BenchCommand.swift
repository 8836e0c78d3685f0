import ArgumentParser
import Foundation
import LinearAlgebra
import Llama

/// `grao bench`: the model's speed figures, one JSON line each, for scripts/bench-model.sh to put
/// next to llama.cpp's. Release builds only; never a test.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure prefill, group generation and decode speed (JSON lines).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Samples per group (G).") var group = 8
    @Option(help: "Prompt tokens for group generation.") var promptTokens = 64
    @Option(help: "Tokens generated per sample.") var newTokens = 128
    @Option(help: "Prompt tokens for the prefill figure.") var prefillTokens = 512
    @Option(help: "Repetitions of each figure; the median is reported.") var repetitions = 3
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Flag(help: "Use random weights of the file's shape instead of loading it (profiling without the file).")
    var randomWeights = false

    func run() throws {
        BLAS.threadCount = threads
        let model = try randomWeights ? Self.smolShapedRandomModel() : modelOptions.loadModel().model
        let cfg = model.config
        // Bytes of all f32 weights (538 MB for SmolLM2): the bandwidth probe's size, far beyond the caches.
        let weightBytes = Double(cfg.parameterCount) * 4
        var random = SeededRandom(seed: 1)
        func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in Int(random.next() % UInt64(cfg.vocabSize)) } }
        func median(_ f: () throws -> Double) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<repetitions { times.append(try f()) }
            return times.sorted()[times.count / 2]
        }
        func seconds(_ f: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try f()
            return start.elapsedSeconds
        }
        /// Every figure carries the 1-minute load average: above ~0.5 other processes shared the 2 cores.
        func emit(_ fields: [String: Any]) throws {
            var fields = fields
            let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first
            fields["load_average_1m"] = load.flatMap { Double($0) } ?? -1
            try printJSON(fields)
        }
        let peak = 234.0  // GF/s, 2 cores (perf-anchors §0); scaled by thread count below
        let peakForThreads = peak * Double(min(threads, 2)) / 2

        // Read bandwidth right now: sasum over a weight-sized buffer.
        let probe = FloatBuffer(count: Int(weightBytes / 4))
        for i in stride(from: 0, to: probe.count, by: 1024) { probe.pointer[i] = 1 }
        _ = BLAS.asum(count: probe.count, x: probe.pointer)
        let probeTime = median { seconds { _ = BLAS.asum(count: probe.count, x: probe.pointer) } }
        let bandwidth = weightBytes / probeTime / 1e9
        try emit(["figure": "read_bandwidth", "gb_per_s": bandwidth, "bytes": weightBytes, "threads": threads])

        // Prefill: one prompt, logits of its last token (what llama-bench pp measures).
        let prompt = tokens(prefillTokens)
        let workspace = ForwardWorkspace()  // reused, as an engine would: buffers faulted in once
        let prefillTime = try median {
            try seconds {
                let cache = try model.makeCache(capacity: prompt.count)
                let hidden = try model.forward([BatchEntry(cache: cache, tokens: prompt)], workspace: workspace)
                let logits = FloatBuffer(count: cfg.vocabSize)
                model.logits(hidden: hidden.pointer + (prompt.count - 1) * cfg.width, rows: 1, into: logits.pointer)
            }
        }
        let prefillFlops = Double(prefillTokens) * 2 * Double(cfg.parameterCount - cfg.vocabSize * cfg.width * (cfg.tiedOutput ? 1 : 2))
        try emit(["figure": "prefill", "tokens": prefillTokens, "seconds": prefillTime,
              "tokens_per_s": Double(prefillTokens) / prefillTime,
              "gflop_per_s": prefillFlops / prefillTime / 1e9,
              "fraction_of_fma_peak": prefillFlops / prefillTime / 1e9 / peakForThreads])

        // Group generation: G samples of one prompt, every sample runs to newTokens (no EOS).
        let groupPrompt = tokens(promptTokens)
        // Decode time = generate (prefill + decode) minus a prefill of the same prompt timed just before.
        func generation(_ g: Int) throws -> (total: Double, decode: Double) {
            let prefill = try seconds {
                let cache = try model.makeCache(capacity: groupPrompt.count)
                _ = try model.forward([BatchEntry(cache: cache, tokens: groupPrompt)], workspace: workspace)
            }
            let request = GenerationRequest(prompt: groupPrompt, sampleCount: g, maxTokens: newTokens,
                                            sampling: SamplingParameters(temperature: 1), seed: 1)
            let total = try seconds { _ = try model.generate([request], endOfSequence: []) }
            return (total, total - prefill)
        }
        for (name, g) in [("group_generation", group), ("single_sequence_decode", 1)] {
            var results: [(total: Double, decode: Double)] = []
            for _ in 0..<repetitions { results.append(try generation(g)) }
            let mid = results.sorted { $0.total < $1.total }[results.count / 2]
            let generated = Double(g * newTokens)
            let stepTime = mid.decode / Double(newTokens)
            let decodeFlops = Double(g) * 2 * Double(cfg.parameterCount)  // per step: every weight once per row
            // Bytes a step reads: the quantized twin (~97 MB for SmolLM2) when decode uses it, else the f32 weights.
            let stepBytes = Double(model.weightBytesRead(rows: g))
            try emit(["figure": name, "group": g, "prompt_tokens": promptTokens, "new_tokens": newTokens,
                  "seconds": mid.total, "tokens_per_s": generated / mid.total,
                  "decode_tokens_per_s": generated / mid.decode,
                  "weight_bytes_per_step": stepBytes,
                  "weight_gb_per_s": stepBytes / stepTime / 1e9,
                  "fraction_of_bandwidth": stepBytes / stepTime / 1e9 / bandwidth,
                  "gflop_per_s": decodeFlops / stepTime / 1e9,
                  "fraction_of_fma_peak": decodeFlops / stepTime / 1e9 / peakForThreads])
        }
    }

    /// SmolLM2-135M's shapes with random weights.
    static func smolShapedRandomModel() throws -> LlamaModel {
        let cfg = LlamaConfig(layerCount: 30, width: 576, headCount: 9, kvHeadCount: 3, headDim: 64, ffnWidth: 1536,
                              vocabSize: 49152, contextLength: 8192, ropeBase: 100000, normEpsilon: 1e-5, tiedOutput: true)
        return try LlamaModel(config: cfg, weights: try LlamaWeights.random(config: cfg, seed: 1, scale: 0.05))
    }
}
