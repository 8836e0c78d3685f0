import ArgumentParser
import Foundation
import Llama

/// `grao generate --prompt P -n 8`: a group of sampled completions of one prompt.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Sample a group of completions of a prompt.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Prompt text.") var prompt: String
    @Option(name: .shortAndLong, help: "Samples in the group (G).") var n = 1
    @Option(help: "Maximum tokens per sample.") var maxTokens = 64
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0.7
    @Option(help: "Keep the k most likely tokens; 0 disables.") var topK = 0
    @Option(help: "Nucleus probability; 1 disables.") var topP: Float = 1
    @Option(help: "Minimum probability relative to the best token; 0 disables.") var minP: Float = 0
    @Option(help: "Random seed (same seed and request, same samples).") var seed: UInt64 = 0
    @Option(help: "Stop string (repeatable); the text is cut before it.") var stop: [String] = []
    @Flag(help: "Wrap the prompt as a user message in the model's chat template.") var chat = false
    @Flag(help: "Parse special tokens written in the prompt.") var special = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let loaded = try modelOptions.loadModel()
        let promptIds = try loaded.promptTokens(prompt, chat: chat, special: special)
        guard !promptIds.isEmpty else { throw ValidationError("the prompt has no tokens") }
        let request = GenerationRequest(
            prompt: promptIds, sampleCount: n, maxTokens: maxTokens,
            sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP),
            seed: seed, stop: stop)
        let start = ContinuousClock.now
        let samples: [GeneratedSample]
        do {
            samples = try loaded.model.generate([request], endOfSequence: loaded.tokenizer.endOfGenerationIds,
                                                decoder: loaded.tokenizer)[0]
        } catch let error as LlamaError {
            throw ValidationError(error.description)
        }
        let seconds = start.elapsedSeconds
        let generated = samples.reduce(0) { $0 + $1.tokens.count }
        if json {
            try printJSON([
                "prompt_tokens": promptIds.count, "seconds": seconds, "generated_tokens": generated,
                "samples": samples.map { sample -> [String: Any] in
                    ["text": sample.text, "tokens": sample.tokens, "logprobs": sample.logProbs.map(Double.init),
                     "finish_reason": sample.finishReason.rawValue]
                },
            ])
        } else {
            for (i, sample) in samples.enumerated() {
                let sum = sample.logProbs.reduce(0) { $0 + Double($1) }
                print(String(format: "--- sample %d: %d tokens, %@, log-prob %.3f", i, sample.tokens.count,
                             sample.finishReason.rawValue, sum))
                print(sample.text)
            }
            print(String(format: "--- %d tokens in %.2f s (%.1f tokens/s, prefill included)", generated, seconds,
                         Double(generated) / seconds))
        }
    }
}
