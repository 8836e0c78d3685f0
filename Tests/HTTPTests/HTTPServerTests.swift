import Foundation
import Logging
import Testing
@testable import HTTP
import Sockets

/// Live tests: a real server on 127.0.0.1 (port 0), real sockets, bytes written by hand.
/// Serialized: several tests open thousands of sockets, and order keeps fd use predictable.
@Suite(.serialized) struct HTTPServerTests {
    /// Routes shared by the live tests. `gate` lets a test hold a handler in flight.
    static func makeRouter(gate: Gate = Gate(), started: Gate = Gate()) -> HTTPRouter {
        var router = HTTPRouter()
        router.addInline(.GET, "/healthz") { _ in .json(#"{"status":"ok"}"#) }
        router.add(.POST, "/echo") { request in
            var response = HTTPResponse(status: .ok, body: .bytes(request.body))
            response.headers.add(name: "X-Trailers", value: "\(request.trailers.count)")
            return response
        }
        router.add(.GET, "/slow") { request in
            let ms = Int(try request.queryValue("ms") ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(ms))
            return .text("slow \(ms)")
        }
        router.add(.GET, "/gate") { _ in
            started.open()
            await gate.wait()
            return .text("released")
        }
        router.add(.GET, "/events") { _ in
            .eventStream { writer in
                for i in 1...3 {
                    try await writer.sendEvent("tick \(i)", event: "progress", id: "\(i)")
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        router.add(.GET, "/items/{id}") { request in .text("item \(request.pathParameters["id"] ?? "?")") }
        router.addInline(.GET, "/fail") { _ in throw HTTPError(.conflict, code: "busy", message: "try later") }
        return router
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                for i in 0..<50 {
                    try client.get(i % 2 == 0 ? "/healthz" : "/slow?ms=1")
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    #expect(response.header("Connection") == nil)
                }
                try client.get("/items/a%2Fb")
                #expect(try client.readResponse().text == "item a/b")
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                // A slow async request first: the fast inline ones behind it must wait their turn.
                try client.send("GET /slow?ms=50 HTTP/1.1\r\nHost: t\r\nX-Request-Id: one\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: two\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: three\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /nope HTTP/1.1\r\nHost: t\r\nX-Request-Id: four\r\n\r\n")
                let ids = try (0..<4).map { _ in try client.readResponse() }
                #expect(ids.map { $0.header("X-Request-Id") } == ["one", "two", "three", "four"])
                #expect(ids.map(\.status) == [200, 200, 200, 404])
                #expect(ids[0].text == "slow 50")
                #expect(ids[2].text == "abc")
            }
        }
    }

    @Test func requestIDsAreGeneratedWhenMissingOrUnusable() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/healthz")
                let first = try client.readResponse().header("X-Request-Id")
                try client.get("/healthz", headers: "X-Request-Id: has spaces in it\r\n")
                let second = try client.readResponse().header("X-Request-Id")
                #expect(first != nil && second != nil && first != second)
                #expect(second != "has spaces in it")
            }
        }
    }

    @Test func chunkedUploadIsDecoded() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
                for piece in ["4;ext=1\r\nWiki\r\n", "5\r\npedia\r\n", "e\r\n in\r\n\r\nchunks.\r\n", "0\r\nX-Sum: 1\r\n\r\n"] {
                    try client.send(piece)
                    usleep(5000)
                }
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "Wikipedia in\r\n\r\nchunks.")
                #expect(response.header("X-Trailers") == "1")
            }
        }
    }

    @Test func serverSentEventsStreamAndTheConnectionIsReused() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/events")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "text/event-stream")
                #expect(response.header("Transfer-Encoding") == "chunked")
                #expect(response.text == (1...3).map { "event: progress\nid: \($0)\ndata: tick \($0)\n\n" }.joined())
                try client.get("/healthz")
                #expect(try client.readResponse().status == 200)
            }
        }
    }

    @Test func headHasHeadersButNoBody() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(head: true)
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == "15")
                // Had a body been sent, it would be misread as the start of this response.
                try client.get("/healthz")
                let next = try client.readResponse()
                #expect(next.status == 200)
                #expect(next.text == #"{"status":"ok"}"#)
            }
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                let interim = try client.readResponse()
                #expect(interim.status == 100)
                try client.send("hello")
                let final = try client.readResponse()
                #expect(final.status == 200)
                #expect(final.text == "hello")
            }
        }
    }

    @Test func expectContinueIsNotSentForAnOversizedBody() async throws {
        try await withLiveServer({ $0.limits.maxBodyBytes = 4 }, router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 413)
                #expect(response.text.contains(#""code":"body_too_large""#))
                #expect(try client.isClosedByServer())
            }
        }
    }

    @Test func connectionCloseAndHTTP10AreHonoured() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/healthz", headers: "Connection: close\r\n")
                let response = try client.readResponse()
                #expect(response.header("Connection") == "close")
                #expect(try client.isClosedByServer())

                let old = try TestClient(port: port)
                try old.send("GET /healthz HTTP/1.0\r\n\r\n")
                #expect(try old.readResponse().header("Connection") == "close")
                #expect(try old.isClosedByServer())

                let oldKeepAlive = try TestClient(port: port)
                try oldKeepAlive.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                #expect(try oldKeepAlive.readResponse().header("Connection") == "keep-alive")
                try oldKeepAlive.send("GET /events HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                // A stream to an HTTP/1.0 client cannot be chunked: it ends when the connection closes.
                let stream = try oldKeepAlive.readResponse()
                #expect(stream.header("Transfer-Encoding") == nil)
                #expect(stream.text.hasPrefix("event: progress\nid: 1\ndata: tick 1\n\n"))
            }
        }
    }

    @Test func malformedRequestsGetJSONErrorsAndClose() async throws {
        try await withLiveServer(router: Self.makeRouter()) { port, _ in
            try await onThread {
                let cases: [(String, Int, String)] = [
                    ("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "invalid_content_length"),
                    ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported_transfer_coding"),
                    ("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505, "unsupported_version"),
                    ("GET /fail HTTP/1.1\r\nHost: t\r\n\r\n", 409, "busy"),
                ]
                for (request, status, code) in cases {
                    let client = try TestClient(port: port)
                    try client.send(request)
                    let response = try client.readResponse()
                    #expect(response.status == status)
                    #expect(response.header("Content-Type") == "application/json")
                    #expect(response.text.contains(#""code":"\#(code)""#))
                    if status != 409 { #expect(try client.isClosedByServer()) }
                }
            }
        }
    }
}

extension HTTPServerTests {
    @Test func accessLogRecordsEachExchange() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: store) }
        try await withLiveServer(router: Self.makeRouter(), logger: logger) { port, _ in
            try await onThread {
                let client = try TestClient(port: port)
                try client.get("/healthz", headers: "X-Request-Id: trace-42\r\n")
                _ = try client.readResponse()
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd")
                _ = try client.readResponse()
            }
        }
        let records = store.records.withLock { $0 }.filter { $0.message == "request" }
        #expect(records.count == 2)
        guard records.count == 2 else { return }
        #expect(records[0].metadata["request_id"] == "trace-42")
        #expect(records[0].metadata["method"] == "GET")
        #expect(records[0].metadata["path"] == "/healthz")
        #expect(records[0].metadata["status"] == "200")
        #expect(records[0].metadata["bytes"] == "15")
        #expect(records[1].metadata["method"] == "POST")
        #expect(records[1].metadata["bytes"] == "4")
        #expect(records.allSatisfy { Double($0.metadata["duration_ms"] ?? "") != nil })
    }
}
