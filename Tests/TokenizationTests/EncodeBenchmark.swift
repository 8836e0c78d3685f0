import Foundation
import Testing
@testable import Tokenization

/// Opt-in benchmark, not a timed test: `GRAO_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build
/// --filter EncodeBenchmark` prints one JSON line per figure. No in-process anchor exists for a tokenizer; the figure
/// is reported as throughput (Hugging Face `tokenizers` is the natural outside reference).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["GRAO_BENCH"] != nil && RealVocabulary.isPresent,
                "benchmark: set GRAO_BENCH=1 (and have the model file)"))
struct EncodeBenchmark {
    @Test func encodeMixedText() {
        let t = RealVocabulary.tokenizer
        let paragraph = "The quick brown fox jumps over the lazy dog in 1869; it's 299,792,458 m/s. "
            + "Ünïcödé café, 日本語のテキスト, emoji 👩‍💻👍🏽.\n\tdef f(x): return x ** 2  # code\n"
        let text = String(repeating: paragraph, count: 512)  // about 90 KB
        var times: [Double] = []
        var count = 0
        for _ in 0..<7 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            count = t.encode(text).count
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        print(#"{"benchmark":"tokenizer.encode","bytes":\#(text.utf8.count),"tokens":\#(count),"#
              + #""seconds_median":\#(median),"mb_per_s":\#(Double(text.utf8.count) / median / 1e6),"#
              + #""tokens_per_s":\#(Double(count) / median)}"#)
        var decodeTimes: [Double] = []
        let ids = t.encode(text)
        for _ in 0..<7 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = t.decode(ids)
            decodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let decodeMedian = decodeTimes.sorted()[decodeTimes.count / 2]
        print(#"{"benchmark":"tokenizer.decode","tokens":\#(ids.count),"seconds_median":\#(decodeMedian),"#
              + #""tokens_per_s":\#(Double(ids.count) / decodeMedian)}"#)
    }
}
