import ArgumentParser

/// The `grao` command line: the server and the offline tools share one binary so that a user
/// can try the model, the rewards and the trainer without HTTP.
@main
struct Grao: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grao",
        abstract: "Align a language model with GRAO and its baselines, driven over HTTP.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self,
            TokenizeCommand.self,
            LogProbsCommand.self,
            GenerateCommand.self,
            ScoreCommand.self,
            TrainCommand.self,
            BenchCommand.self,
            BenchAPICommand.self,
            TrainBenchCommand.self,
        ]
    )
}
