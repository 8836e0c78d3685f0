#if canImport(Glibc)
import Glibc
#endif

/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted once per second rather than
/// once per response.
struct HTTPDate {
    private(set) var bytes: [UInt8] = []
    private var second: Int = -1

    /// Refreshes the cached text when the wall-clock second changed.
    mutating func refresh() {
        let now = time(nil)
        guard now != second else { return }
        second = now
        bytes = Self.format(now)
    }

    /// Formats a Unix time as e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func format(_ seconds: Int) -> [UInt8] {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
