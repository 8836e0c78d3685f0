import Testing
@testable import API

/// The exposition text follows the Prometheus format: HELP/TYPE lines, escaped label values, cumulative buckets.
@Suite struct MetricsRegistryTests {
    @Test func countersAndGaugesRenderWithLabels() {
        let registry = MetricsRegistry()
        let requests = registry.counter("x_requests_total", help: "Requests.", labels: ["route", "status"])
        requests.increment(["/v1/a", "200"])
        requests.increment(["/v1/a", "200"], by: 2)
        requests.increment(["/v1/\"q\"\n", "400"])
        let gauge = registry.gauge("x_loss", help: "Loss.")
        gauge.set(0.25)
        registry.gaugeFunction("x_depth", help: "Depth.") { 3 }
        #expect(registry.render() == """
            # HELP x_requests_total Requests.
            # TYPE x_requests_total counter
            x_requests_total{route="/v1/\\"q\\"\\n",status="400"} 1
            x_requests_total{route="/v1/a",status="200"} 3
            # HELP x_loss Loss.
            # TYPE x_loss gauge
            x_loss 0.25
            # HELP x_depth Depth.
            # TYPE x_depth gauge
            x_depth 3

            """)
    }

    @Test func histogramBucketsAreCumulative() {
        let registry = MetricsRegistry()
        let h = registry.histogram("x_seconds", help: "Time.", buckets: [0.1, 1])
        for value in [0.05, 0.5, 0.5, 5] { h.observe(value) }
        #expect(registry.render() == """
            # HELP x_seconds Time.
            # TYPE x_seconds histogram
            x_seconds_bucket{le="0.1"} 1
            x_seconds_bucket{le="1"} 3
            x_seconds_bucket{le="+Inf"} 4
            x_seconds_sum 6.05
            x_seconds_count 4

            """)
    }

    @Test func countersIgnoreNegativeAndNonFiniteAmounts() {
        let counter = MetricsRegistry().counter("x_total", help: "X.")
        counter.increment(by: -1)
        counter.increment(by: .nan)
        #expect(counter.value() == 0)
    }
}
