/// Writes response heads and bodies into a byte buffer, so that one `send` carries a whole response
/// (or several pipelined ones): two sends per response invite the Nagle/delayed-ACK stall.
enum HTTPResponseEncoder {
    /// How the body will be delimited.
    enum Framing {
        /// `Content-Length: n` (also used for HEAD responses, announcing the GET length).
        case length(Int)
        /// `Transfer-Encoding: chunked` (HTTP/1.1 streams).
        case chunked
        /// No length: the body ends when the connection closes (HTTP/1.0 streams).
        case closeDelimited
        /// No body and no length field (1xx, 204, 304).
        case none
    }

    /// Appends the status line and header section.
    static func appendHead(_ response: HTTPResponse, framing: Framing, keepAlive: Bool, clientIsHTTP10: Bool,
                           requestID: String, date: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(response.status.code, to: &out)
        out.append(ASCII.space)
        out.append(contentsOf: response.status.reason.utf8)
        out.append(contentsOf: "\r\nDate: ".utf8)
        out.append(contentsOf: date)
        switch framing {
        case .length(let length):
            out.append(contentsOf: "\r\nContent-Length: ".utf8)
            appendDecimal(length, to: &out)
        case .chunked:
            out.append(contentsOf: "\r\nTransfer-Encoding: chunked".utf8)
        case .closeDelimited, .none:
            break
        }
        if !keepAlive {
            out.append(contentsOf: "\r\nConnection: close".utf8)
        } else if clientIsHTTP10 {
            out.append(contentsOf: "\r\nConnection: keep-alive".utf8)
        }
        if !requestID.isEmpty {
            out.append(contentsOf: "\r\nX-Request-Id: ".utf8)
            out.append(contentsOf: requestID.utf8)
        }
        for (name, value) in response.headers where !isFramingField(name) {
            out.append(contentsOf: "\r\n".utf8)
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
        }
        out.append(contentsOf: "\r\n\r\n".utf8)
    }

    /// Appends one chunk of a chunked body; an empty `bytes` would end the body, so it is skipped.
    static func appendChunk(_ bytes: [UInt8], to out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        appendHex(bytes.count, to: &out)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: bytes)
        out.append(contentsOf: "\r\n".utf8)
    }

    /// The last-chunk and the empty trailer section that end a chunked body.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// The interim response sent when a client waits with `Expect: 100-continue`.
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static func isFramingField(_ name: String) -> Bool {
        HTTPHeaders.equalsIgnoringCase(name, "Content-Length") || HTTPHeaders.equalsIgnoringCase(name, "Transfer-Encoding")
            || HTTPHeaders.equalsIgnoringCase(name, "Connection") || HTTPHeaders.equalsIgnoringCase(name, "X-Request-Id")
            || HTTPHeaders.equalsIgnoringCase(name, "Date")
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0)
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while n > 0 {
                raw[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
            out.append(contentsOf: raw[(20 - count)...])
        }
    }

    static func appendHex(_ value: Int, to out: inout [UInt8]) {
        let hex = "0123456789abcdef".utf8.map { $0 }
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        while shift >= 0 {
            out.append(hex[(value >> shift) & 15])
            shift -= 4
        }
    }
}
