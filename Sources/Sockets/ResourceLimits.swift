#if canImport(Glibc)
import Glibc
#endif

/// Process limits a server has to raise before it can hold many connections.
public enum ResourceLimits {
    /// The current (soft, hard) limits on open file descriptors.
    public static func openFiles() throws(SocketError) -> (soft: Int, hard: Int) {
        var limit = rlimit()
        _ = try syscallChecked("getrlimit(RLIMIT_NOFILE)") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        return (Int(clamping: limit.rlim_cur), Int(clamping: limit.rlim_max))
    }

    /// Raises the open-file limit to at least `wanted` descriptors when possible: the soft limit up to
    /// the hard one, and the hard one too when the process may (root). Every connection costs one fd,
    /// and the usual soft limit of 1024 would cap the server far below 10,000 idle connections.
    /// Returns the soft limit now in force, which may still be below `wanted`.
    @discardableResult
    public static func raiseOpenFiles(toAtLeast wanted: Int) throws(SocketError) -> Int {
        var limit = rlimit()
        _ = try syscallChecked("getrlimit(RLIMIT_NOFILE)") { getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        let target = rlim_t(wanted)
        if limit.rlim_cur >= target { return Int(clamping: limit.rlim_cur) }
        if limit.rlim_max < target {
            var raised = rlimit(rlim_cur: target, rlim_max: target)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return wanted }
        }
        var soft = rlimit(rlim_cur: min(target, limit.rlim_max), rlim_max: limit.rlim_max)
        _ = try syscallChecked("setrlimit(RLIMIT_NOFILE)") { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &soft) }
        return Int(clamping: soft.rlim_cur)
    }
}
