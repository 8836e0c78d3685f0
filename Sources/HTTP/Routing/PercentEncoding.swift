/// Percent-decoding for path parameters and query strings (RFC 3986 §2.1).
enum PercentEncoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`, the form-encoding rule for queries).
    /// Returns nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ text: String, plusIsSpace: Bool = false) -> String? {
        let utf8 = Array(text.utf8)
        if !utf8.contains(UInt8(ascii: "%")) && !(plusIsSpace && utf8.contains(UInt8(ascii: "+"))) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                guard i + 2 < utf8.count, let high = HTTPRequestParser.hexValue(utf8[i + 1]),
                      let low = HTTPRequestParser.hexValue(utf8[i + 2]) else { return nil }
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
