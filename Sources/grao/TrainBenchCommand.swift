import Alignment
import ArgumentParser
import Foundation
import LinearAlgebra
import Llama

/// `grao bench-train`: training and scoring speed, one JSON line per figure, for scripts/bench-train.sh to
/// put next to PyTorch's. Mirrors the anchor's measurement (perf-anchors §5): random token ids, a causal-LM
/// loss on every position, forward + backward + AdamW per step, warm-up first, median of the repetitions.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train", abstract: "Measure training (full and LoRA) and no-grad scoring speed (JSON lines).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Sequences per training step.") var batch = 8
    @Option(help: "Tokens per training sequence.") var tokens = 256
    @Option(help: "Sequences in the scoring pass.") var scoreBatch = 8
    @Option(help: "Tokens per scored sequence.") var scoreTokens = 192
    @Option(help: "LoRA rank (alpha = 2 × rank, all linear layers).") var loraRank = 16
    @Option(help: "Timed repetitions per figure (after one warm-up); the median is reported.") var repetitions = 3
    @Option(help: "OpenBLAS threads.") var threads = 2
    @Option(help: "Figures to run, comma-separated: full, lora, score.") var figures = "score,lora,full"
    @Flag(help: "Random weights of SmolLM2's shape instead of loading the file.") var randomWeights = false

    func run() throws {
        BLAS.threadCount = threads
        let wanted = Set(figures.split(separator: ",").map(String.init))
        let unknown = wanted.subtracting(["full", "lora", "score"])
        guard unknown.isEmpty else { throw ValidationError("unknown figures: \(unknown.sorted())") }
        guard batch >= 1, tokens >= 2, scoreBatch >= 1, scoreTokens >= 2, repetitions >= 1 else {
            throw ValidationError("batch, tokens and repetitions must be positive (tokens >= 2)")
        }
        let model = try randomWeights ? BenchCommand.smolShapedRandomModel() : modelOptions.loadModel().model
        let cfg = model.config
        var random = SeededRandom(seed: 7)
        func sequence(_ n: Int) -> [Int] { (0..<n).map { _ in Int(random.next() % UInt64(cfg.vocabSize)) } }
        // FLOPs of the matrix products per token: 2 per weight forward (the head counted once).
        let matmulWeights = Double(cfg.layerCount * (cfg.width * cfg.qkvWidth + cfg.queryWidth * cfg.width
            + 3 * cfg.width * cfg.ffnWidth) + cfg.vocabSize * cfg.width)
        // The GEMM peak the passes are held against: OpenBLAS's rate on a large square product with the
        // same threads, measured now on this machine (a constant from another machine would misstate it).
        let peak = Self.sgemmRate(threads: threads)

        func seconds(_ f: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try f()
            return start.elapsedSeconds
        }
        func median(_ f: () throws -> Double) rethrows -> (median: Double, all: [Double]) {
            _ = try f()  // warm-up: buffers faulted in, optimizer state allocated
            var times: [Double] = []
            for _ in 0..<repetitions { times.append(try f()) }
            return (times.sorted()[times.count / 2], times)
        }

        if wanted.contains("score") {
            // No-grad scoring: log-probs of every position after the first (what a reference policy computes),
            // with the defaults every caller in grao uses.
            let pairs = (0..<scoreBatch).map { _ in
                let s = sequence(scoreTokens + 1)
                return ScoringPair(prompt: [s[0]], completion: Array(s[1...]))
            }
            let t = try median { try seconds { _ = try model.completionLogProbs(pairs) } }
            let fed = Double(scoreBatch * scoreTokens)
            try printJSON(["figure": "score_nograd", "sequences": scoreBatch, "tokens_per_sequence": scoreTokens,
                           "seconds": t.median, "seconds_all": t.all, "tokens_per_s": fed / t.median,
                           "gflop_per_s": fed * 2 * matmulWeights / t.median / 1e9,
                           "fraction_of_gemm_peak": fed * 2 * matmulWeights / t.median / 1e9 / peak,
                           "gemm_peak_gflop_per_s": peak, "threads": threads])
        }
        for mode in ["lora", "full"] where wanted.contains(mode) {
            let trainingMode: TrainingMode = mode == "full" ? .full
                : .lora(LoRAConfig(rank: loraRank, alpha: Double(2 * loraRank)))
            let trainer = try PolicyTrainer(model: model, config: TrainerConfig(
                mode: trainingMode, schedule: try LearningRateSchedule(peak: 1e-5), maxGradNorm: nil,
                microBatchTokens: batch * tokens, chunkRows: 256))
            // Causal-LM loss over every position: each sequence is SFT on all but its first token.
            let items = (0..<batch).map { _ in
                let s = sequence(tokens + 1)
                return ObjectiveItem.sft(prompt: [s[0]], reference: Array(s[1...]))
            }
            var last: StepMetrics?
            let t = try median { try seconds { last = try trainer.step(items) } }
            let fed = Double(batch * tokens)
            // Full: forward, dX and dW products (6 per weight); LoRA: forward and dX (4 per weight).
            let flops = fed * (mode == "full" ? 6 : 4) * matmulWeights
            var row: [String: Any] = [
                "figure": "train_\(mode)", "sequences": batch, "tokens_per_sequence": tokens, "seconds": t.median,
                "seconds_all": t.all, "tokens_per_s": fed / t.median, "gflop_per_s": flops / t.median / 1e9,
                "fraction_of_gemm_peak": flops / t.median / 1e9 / peak, "gemm_peak_gflop_per_s": peak, "threads": threads,
                "activation_bytes": trainer.activationBytes.saved, "scratch_bytes": trainer.activationBytes.scratch,
                "loss": last?.loss ?? .nan,
            ]
            if let adapters = trainer.adapters { row["trainable_parameters"] = adapters.parameterCount }
            try printJSON(row)
        }
    }

    /// GF/s of OpenBLAS multiplying two 1536 × 1536 matrices on `threads` threads, best of 3 runs of
    /// ≥ 0.3 s (square and large: the most favourable shape, so a fair ceiling for the passes' products).
    static func sgemmRate(threads: Int) -> Double {
        let n = 1536
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        for i in 0..<(n * n) { a.pointer[i] = Float(i % 7) * 0.01; b.pointer[i] = Float(i % 5) * 0.01 }
        let saved = BLAS.threadCount
        BLAS.threadCount = threads
        defer { BLAS.threadCount = saved }
        var best = 0.0
        for _ in 0..<3 {
            let start = ContinuousClock.now
            var calls = 0
            repeat {
                BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n,
                          c: c.pointer, ldc: n)
                calls += 1
            } while start.elapsedSeconds < 0.3
            best = max(best, 2 * Double(n * n * n * calls) / start.elapsedSeconds / 1e9)
        }
        return best
    }
}
