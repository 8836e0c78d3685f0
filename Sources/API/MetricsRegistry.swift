import Foundation
import Synchronization

/// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition
/// format (version 0.0.4). Hand-written rather than swift-metrics + swift-prometheus: the project allows only
/// swift-argument-parser and swift-log as packages, and what `/metrics` needs (a dozen families, one process,
/// no push) fits in this file.
///
/// Families are created once (at server start) and recorded into from any thread; each family has its own
/// lock, so recording contends only with recording into the same family.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])

    /// An empty registry.
    public init() {}

    /// Registers a counter family (monotonic totals, name ending in `_total`).
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labelNames: labels))
    }

    /// Registers a gauge family (values that go up and down, or the latest of something).
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labelNames: labels))
    }

    /// Registers a histogram family with the given upper bounds (ascending; `+Inf` is added).
    public func histogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, labelNames: labels, buckets: buckets))
    }

    /// Registers a gauge read when `/metrics` is scraped (queue depths, states owned elsewhere).
    public func gaugeFunction(_ name: String, help: String, _ read: @escaping @Sendable () -> Double) {
        _ = register(ReadAtScrape(name: name, help: help, type: "gauge", read: read))
    }

    /// Registers a counter whose total is kept elsewhere and read when `/metrics` is scraped.
    public func counterFunction(_ name: String, help: String, _ read: @escaping @Sendable () -> Double) {
        _ = register(ReadAtScrape(name: name, help: help, type: "counter", read: read))
    }

    private func register<F: MetricFamily>(_ family: F) -> F {
        families.withLock { list in
            precondition(!list.contains { $0.name == family.name }, "metric \(family.name) registered twice")
            precondition(family.name.utf8.allSatisfy { Self.isNameByte($0) }, "metric name \(family.name) is not valid")
            list.append(family)
        }
        return family
    }

    /// The exposition text of every family, in registration order.
    public func render() -> String {
        var out = ""
        for family in families.withLock({ $0 }) {
            out += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            family.appendSamples(to: &out)
        }
        return out
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95 || b == 58
    }

    /// `{a="x",b="y"}` with values escaped as the format requires (backslash, quote, newline).
    static func labelText(_ names: [String], _ values: [String], extra: (String, String)? = nil) -> String {
        var pairs = zip(names, values).map { ($0, $1) }
        if let extra { pairs.append(extra) }
        if pairs.isEmpty { return "" }
        return "{" + pairs.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

protocol MetricFamily: Sendable {
    var name: String { get }
    var help: String { get }
    var type: String { get }
    func appendSamples(to out: inout String)
}

/// A monotonically increasing total per label set.
public final class Counter: MetricFamily {
    let name: String, help: String, labelNames: [String]
    var type: String { "counter" }
    private let values = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    /// Adds `amount` (>= 0) to the series with `labels` (values in the family's label order).
    public func increment(_ labels: [String] = [], by amount: Double = 1) {
        precondition(labels.count == labelNames.count, "\(name) takes labels \(labelNames)")
        guard amount >= 0, amount.isFinite else { return }
        values.withLock { $0[labels, default: 0] += amount }
    }

    /// The current total of one series (tests and summaries).
    public func value(_ labels: [String] = []) -> Double { values.withLock { $0[labels] ?? 0 } }

    func appendSamples(to out: inout String) {
        for (labels, value) in values.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(MetricsRegistry.labelText(labelNames, labels)) \(MetricsRegistry.number(value))\n"
        }
    }
}

/// A value per label set that is set, not accumulated.
public final class Gauge: MetricFamily {
    let name: String, help: String, labelNames: [String]
    var type: String { "gauge" }
    private let values = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    /// Sets the series with `labels` to `value`.
    public func set(_ value: Double, _ labels: [String] = []) {
        precondition(labels.count == labelNames.count, "\(name) takes labels \(labelNames)")
        values.withLock { $0[labels] = value }
    }

    /// The current value of one series (nil when never set).
    public func value(_ labels: [String] = []) -> Double? { values.withLock { $0[labels] } }

    func appendSamples(to out: inout String) {
        for (labels, value) in values.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(MetricsRegistry.labelText(labelNames, labels)) \(MetricsRegistry.number(value))\n"
        }
    }
}

/// Observations counted into cumulative buckets, with their sum and count, per label set.
public final class Histogram: MetricFamily {
    let name: String, help: String, labelNames: [String], buckets: [Double]
    var type: String { "histogram" }
    private struct Series {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }
    private let series = Mutex<[[String]: Series]>([:])

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        precondition(!buckets.isEmpty && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 }, "\(name): buckets must ascend")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets
    }

    /// Records one observation.
    public func observe(_ value: Double, _ labels: [String] = []) {
        precondition(labels.count == labelNames.count, "\(name) takes labels \(labelNames)")
        guard value.isFinite else { return }
        let index = buckets.firstIndex { value <= $0 } ?? buckets.count
        series.withLock { all in
            var s = all[labels] ?? Series(counts: [UInt64](repeating: 0, count: buckets.count + 1))
            s.counts[index] += 1
            s.sum += value
            s.count += 1
            all[labels] = s
        }
    }

    /// Observations recorded for one series.
    public func count(_ labels: [String] = []) -> UInt64 { series.withLock { $0[labels]?.count ?? 0 } }

    func appendSamples(to out: inout String) {
        for (labels, s) in series.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var cumulative: UInt64 = 0
            for (i, bound) in (buckets + [.infinity]).enumerated() {
                cumulative += s.counts[i]
                let le = MetricsRegistry.labelText(labelNames, labels, extra: ("le", MetricsRegistry.number(bound)))
                out += "\(name)_bucket\(le) \(cumulative)\n"
            }
            let plain = MetricsRegistry.labelText(labelNames, labels)
            out += "\(name)_sum\(plain) \(MetricsRegistry.number(s.sum))\n\(name)_count\(plain) \(s.count)\n"
        }
    }
}

/// A single value (gauge or counter) read at scrape time.
final class ReadAtScrape: MetricFamily {
    let name: String, help: String, type: String
    let read: @Sendable () -> Double

    init(name: String, help: String, type: String, read: @escaping @Sendable () -> Double) {
        self.name = name
        self.help = help
        self.type = type
        self.read = read
    }

    func appendSamples(to out: inout String) {
        out += "\(name) \(MetricsRegistry.number(read()))\n"
    }
}
