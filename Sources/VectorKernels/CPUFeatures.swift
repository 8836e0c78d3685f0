import Foundation

/// What the CPU offers, read once from the kernel's report. Every function of this module is compiled for
/// AVX2/FMA (`-target-cpu haswell` in Package.swift), so callers must check `hasAVX2FMA` before calling any
/// of them and fall back to BLAS or scalar code otherwise.
public enum CPUFeatures {
    /// True when /proc/cpuinfo lists both `avx2` and `fma` for the first CPU.
    public static let hasAVX2FMA: Bool = {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let words = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }))
        return words.contains("avx2") && words.contains("fma")
    }()
}
