import CCurl

/// Process-wide libcurl facts; the transport proper lives next to this file.
public enum Curl {
    /// libcurl's version string (e.g. "libcurl/7.88.1 OpenSSL/3.0.x ..."), logged at start-up.
    public static var version: String {
        guard let v = curl_version() else { return "unknown" }
        return String(cString: v)
    }
}
