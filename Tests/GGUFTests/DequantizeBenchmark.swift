import Foundation
import Testing
@testable import GGUF

/// Opt-in benchmark, not a timed test: `GRAO_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build
/// --filter DequantizeBenchmark` prints one JSON line per figure and asserts nothing about time.
/// Anchor, measured in the same run: `memset` of the same f32 output, the floor for any dequantizer (which must at
/// least write every value).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["GRAO_BENCH"] != nil && RealModel.isPresent,
                "benchmark: set GRAO_BENCH=1 (and have the model file)"))
struct DequantizeBenchmark {
    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    @Test func dequantizeWholeModel() throws {
        let file = try GGUFFile(path: RealModel.path)
        let total = file.tensors.reduce(0) { $0 + $1.elementCount }
        let out = UnsafeMutableBufferPointer<Float>.allocate(capacity: total)
        defer { out.deallocate() }
        out.initialize(repeating: 0)  // fault the pages in before timing
        var dequantize: [Double] = [], anchor: [Double] = []
        for _ in 0..<5 {
            var t0 = DispatchTime.now().uptimeNanoseconds
            var offset = 0
            for t in file.tensors {
                try file.dequantize(t, into: UnsafeMutableBufferPointer(rebasing: out[offset..<(offset + t.elementCount)]))
                offset += t.elementCount
            }
            dequantize.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            t0 = DispatchTime.now().uptimeNanoseconds
            memset(out.baseAddress!, 1, total * 4)
            anchor.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let d = Self.median(dequantize), a = Self.median(anchor)
        print(#"{"benchmark":"gguf.dequantize_model","values":\#(total),"seconds_median":\#(d),"seconds_min":\#(dequantize.min()!),"#
              + #""gvalues_per_s":\#(Double(total) / d / 1e9),"anchor":"memset_f32_output","anchor_seconds_median":\#(a),"#
              + #""ratio_vs_anchor":\#(a / d)}"#)
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = try GGUFFile(path: RealModel.path)
        print(#"{"benchmark":"gguf.open_and_parse_header","seconds":\#(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)}"#)
    }
}
