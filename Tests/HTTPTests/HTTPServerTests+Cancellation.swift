import Foundation
import Testing
@testable import HTTP

/// With `cancelsHandlersOnPeerClose`, a client's FIN cancels its running handler's task (the API drops the
/// client's queued model work this way); whatever the handler still answers reaches a half-closed client.
extension HTTPServerTests {
    @Test func aClientFINCancelsTheHandlerWhenAskedTo() async throws {
        var router = HTTPRouter()
        let started = Gate()
        router.add(.GET, "/wait") { _ in
            started.open()
            // Polls so that only cancellation (never time) ends the wait within the test's read timeout.
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(2)) }
            return .text("cancelled")
        }
        try await withLiveServer({ $0.cancelsHandlersOnPeerClose = true }, router: router) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/wait")
                #expect(started.waitBlocking())
                client.shutdownWrite()
                let response = try client.readResponse()
                #expect(response.text == "cancelled")
            }
        }
    }
}
