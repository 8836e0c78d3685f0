import ArgumentParser
import Llama

/// `grao logprobs --prompt P --completion C`: teacher-forced log-probabilities of each completion token.
struct LogProbsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logprobs", abstract: "Score a completion token by token under the model.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Prompt text.") var prompt: String
    @Option(help: "Completion text to score.") var completion: String
    @Flag(help: "Wrap the prompt as a user message in the model's chat template.") var chat = false
    @Flag(help: "Parse special tokens written in the texts (e.g. <|im_end|>).") var special = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let loaded = try modelOptions.loadModel()
        let promptIds = try loaded.promptTokens(prompt, chat: chat, special: special)
        let completionIds = loaded.tokenizer.encode(completion, parseSpecial: special)
        guard !promptIds.isEmpty else { throw ValidationError("the prompt has no tokens") }
        guard !completionIds.isEmpty else { throw ValidationError("the completion has no tokens") }
        let logProbs = try loaded.model.completionLogProbs([ScoringPair(prompt: promptIds, completion: completionIds)])[0]
        let pieces = completionIds.map { loaded.tokenizer.decode([$0]) }
        let total = logProbs.reduce(0) { $0 + Double($1) }
        if json {
            try printJSON(["prompt_tokens": promptIds, "completion_tokens": completionIds, "pieces": pieces,
                           "logprobs": logProbs.map(Double.init), "sum": total, "mean": total / Double(logProbs.count)])
        } else {
            for (id, (piece, lp)) in zip(completionIds, zip(pieces, logProbs)) {
                print(String(format: "%6d %10.5f  ", id, lp) + String(reflecting: piece))
            }
            print(String(format: "sum %.5f  mean %.5f  (%d prompt tokens)", total, total / Double(logProbs.count),
                         promptIds.count))
        }
    }
}
