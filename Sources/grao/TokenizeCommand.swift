import ArgumentParser
import Tokenization

/// `grao tokenize TEXT`: the token ids of a text and the piece each stands for.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Show the token ids of a text.")

    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "Text to tokenize.") var text: String
    @Flag(help: "Parse special tokens written in the text (e.g. <|im_start|>).") var special = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (_, tokenizer) = try modelOptions.loadTokenizer()
        let ids = tokenizer.encode(text, parseSpecial: special)
        let pieces = ids.map { tokenizer.decode([$0]) }
        if json {
            try printJSON(["ids": ids, "pieces": pieces, "count": ids.count])
        } else {
            for (id, piece) in zip(ids, pieces) { print(id, String(reflecting: piece)) }
            print("\(ids.count) tokens")
        }
    }
}
