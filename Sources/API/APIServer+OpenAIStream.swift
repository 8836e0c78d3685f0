import Foundation
import HTTP
import Llama

extension APIServer {
    /// Answers an OpenAI route with `stream: true`: Server-Sent Events `data: {chunk}` as tokens are drawn (the
    /// engine's decode steps hand each token to this stream as they happen), then `data: [DONE]`.
    ///
    /// The response starts once the first token exists, so a refusal (engine queue full, a request the model
    /// refuses) is still an HTTP error status. A client that leaves mid-stream (its connection closes, or it
    /// stops reading and a write fails) cancels the generation: its samples leave the decode batch at the next
    /// step. A failure after the start is sent as a `data: {"error": {...}}` event, and the stream ends without
    /// `[DONE]` (what OpenAI's clients expect).
    func streamOpenAI(_ requests: [GenerationRequest], info: ModelInfo, format: OpenAIStream.Format) async throws -> HTTPResponse {
        let (events, sink) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let generation = Task { [self] in
            do {
                _ = try await generate(requests, observer: { _ = sink.yield($0) })
                sink.finish()
            } catch {
                sink.finish(throwing: error)
            }
        }
        // A consumer that goes away (the handler cancelled while waiting, or the stream body dropped unread) ends
        // the generation too.
        sink.onTermination = { _ in generation.cancel() }
        let iterator = EventIterator(events)
        let firstEvent: GenerationEvent?
        do {
            firstEvent = try await iterator.next()
        } catch {
            generation.cancel()
            throw error
        }
        guard let first = firstEvent, !Task.isCancelled else {
            generation.cancel()
            throw CancellationError()
        }
        let logger = logger
        return HTTPResponse.eventStream { writer in
            defer { generation.cancel() }
            var stream = OpenAIStream(format: format, requests: requests, info: info)
            try await Self.write(stream.opening() + stream.chunks(for: first), to: writer)
            do {
                while let event = try await iterator.next() {
                    try await Self.write(stream.chunks(for: event), to: writer)
                }
            } catch let error where !(error is CancellationError) && !(error is HTTPBodyWriter.Closed) {
                let failure = error as? HTTPError
                    ?? HTTPError(.internalServerError, code: "generation_failed", message: "generation failed: \(error)")
                if failure.status.code >= 500 { logger.error("stream failed", metadata: ["error": "\(error)"]) }
                try await Self.write([["error": ["code": failure.code, "message": failure.message,
                                                 "type": failure.status.code >= 500 ? "server_error" : "invalid_request_error"]]],
                                     to: writer)
                return
            }
            try await Self.write(stream.closing(), to: writer)
            try await writer.write("data: [DONE]\n\n")
        }
    }

    /// Writes chunks as SSE `data:` events, in one write (one step's tokens leave together).
    static func write(_ chunks: [[String: Any]], to writer: HTTPBodyWriter) async throws {
        guard !chunks.isEmpty else { return }
        var text = ""
        for chunk in chunks {
            let data = try JSONSerialization.data(withJSONObject: chunk, options: [.sortedKeys, .withoutEscapingSlashes])
            text += "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
        }
        try await writer.write(text)
    }
}

/// Hands a generation stream's iterator from the route handler (which waits for the first event) to the body
/// producer that reads the rest. `@unchecked Sendable`: one task uses it at a time (the handler, then the producer,
/// which starts after the handler returned).
final class EventIterator: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<GenerationEvent, any Error>.AsyncIterator

    init(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) {
        iterator = stream.makeAsyncIterator()
    }

    /// The next event; nil at the end (or when the waiting task was cancelled).
    func next() async throws -> GenerationEvent? {
        var copy = iterator
        defer { iterator = copy }
        return try await copy.next()
    }
}
