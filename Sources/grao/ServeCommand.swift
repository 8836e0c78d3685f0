import ArgumentParser

/// `grao serve`: runs the HTTP server (being written under the foundation issue).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    func run() async throws {
        throw ValidationError("the server is not built yet")
    }
}
