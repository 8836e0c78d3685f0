import Testing
@testable import HTTP

@Suite struct HTTPResponseEncoderTests {
    private let date = Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)

    private func encode(_ response: HTTPResponse, framing: HTTPResponseEncoder.Framing, keepAlive: Bool = true,
                        http10: Bool = false, id: String = "abc") -> String {
        var out: [UInt8] = []
        HTTPResponseEncoder.appendHead(response, framing: framing, keepAlive: keepAlive, clientIsHTTP10: http10,
                                       requestID: id, date: date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func headWithContentLength() {
        let text = encode(.json(#"{"a":1}"#), framing: .length(7))
        #expect(text == "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 7\r\n"
            + "X-Request-Id: abc\r\nContent-Type: application/json\r\n\r\n")
    }

    @Test func framingFieldsFromHandlersAreIgnored() {
        let response = HTTPResponse(status: .ok, headers: ["Content-Length": "999", "transfer-encoding": "gzip",
                                                           "Connection": "upgrade", "X-Custom": "1"])
        let text = encode(response, framing: .chunked, keepAlive: false)
        #expect(text.contains("Transfer-Encoding: chunked\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.contains("X-Custom: 1\r\n"))
        #expect(!text.contains("999"))
        #expect(!text.contains("gzip"))
        #expect(!text.contains("upgrade"))
    }

    @Test func http10KeepAliveIsAnnounced() {
        #expect(encode(.text("x"), framing: .length(1), http10: true).contains("Connection: keep-alive\r\n"))
        #expect(!encode(.text("x"), framing: .length(1)).contains("Connection:"))
    }

    @Test func numbersAndChunks() {
        for value in [0, 7, 10, 99, 100, 12345, 4_294_967_296] {
            var out: [UInt8] = []
            HTTPResponseEncoder.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
            out = []
            HTTPResponseEncoder.appendHex(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value, radix: 16))
        }
        var out: [UInt8] = []
        HTTPResponseEncoder.appendChunk(Array(repeating: 65, count: 26), to: &out)
        HTTPResponseEncoder.appendChunk([], to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "1a\r\n" + String(repeating: "A", count: 26) + "\r\n")
    }

    @Test func errorsBecomeJSONBodies() {
        let response = HTTPResponse(error: HTTPError(.badRequest, code: "bad_field", message: "field \"n\" must be\nan integer"))
        #expect(response.status == .badRequest)
        #expect(response.headers["Content-Type"] == "application/json")
        guard case .bytes(let body) = response.body else {
            Issue.record("error bodies are bytes")
            return
        }
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"error":{"code":"bad_field","message":"field \"n\" must be\nan integer"}}"#)
        struct Opaque: Error {}
        let opaque = HTTPResponse(error: Opaque())
        #expect(opaque.status.code == 500)
        guard case .bytes(let internalBody) = opaque.body else { return }
        #expect(String(decoding: internalBody, as: UTF8.self).contains(#""code":"internal_error""#))
    }

    @Test func serverSentEventsAreFramedPerLine() {
        #expect(HTTPBodyWriter.formatEvent("a\nb", event: "progress", id: "7") == "event: progress\nid: 7\ndata: a\ndata: b\n\n")
        #expect(HTTPBodyWriter.formatEvent("x", event: "bad\nname", id: nil) == "event: bad name\ndata: x\n\n")
    }

    @Test func dateIsIMFFixdate() {
        #expect(String(decoding: HTTPDate.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
