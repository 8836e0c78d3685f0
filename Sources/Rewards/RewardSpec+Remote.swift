import CurlClient

extension RewardSpec {
    /// `score_model`: a judge over HTTP. `protocol` picks the wire format (openai_chat, openrlhf, grao); the
    /// client options are shared by all three.
    static func makeRemote(_ o: inout SpecObject, name: String, context: RewardContext) throws -> RemoteJudge {
        let proto = try o.oneOf("protocol", ["openai_chat", "openrlhf", "grao"], default: "openai_chat")
        let url = try o.requiredString("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), url.count > 8,
              !url.contains(where: { $0.isWhitespace }) else {
            throw o.fail("url", "must be an http:// or https:// URL without spaces")
        }
        let range = try o.range("range")
        let wire: any JudgeWire
        switch proto {
        case "openai_chat":
            wire = try openAIChatWire(&o, range: range)
        default:
            let size = try o.int("batch_size", default: proto == "grao" ? 16 : 1, min: 1, max: 1024)
            wire = proto == "grao" ? GraoBatchWire(batchSize: size, range: range) as any JudgeWire
                : OpenRLHFWire(batchSize: size, range: range)
        }
        var headers: [HeaderSource] = []
        for (k, v) in (try o.object("headers") ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = o.pathOf("headers") + ".\(k)"
            guard case .string(let s) = v else {
                throw RewardError.invalidSpec(path: path, message: "expected a string")
            }
            headers.append(try HeaderSource.parse(name: k, value: s, path: path, environment: context.environment))
        }
        var options = RemoteJudge.Options()
        options.callTimeout = try o.number("timeout_ms", default: 30_000, min: 1, max: 3_600_000) / 1000
        options.batchTimeout = try o.number("batch_timeout_ms", default: 120_000, min: 1, max: 86_400_000) / 1000
        options.maxConcurrency = try o.int("max_concurrency", default: 8, min: 1, max: 1024)
        options.maxRequestsPerMinute = try o.int("max_rpm", default: 0, min: 0, max: 1_000_000)
        options.retry = RetryPolicy(maxRetries: try o.int("max_retries", default: 3, min: 0, max: 20),
                                    baseDelay: try o.number("backoff_ms", default: 200, min: 0, max: 600_000) / 1000,
                                    maxDelay: try o.number("max_backoff_ms", default: 10_000, min: 0, max: 600_000) / 1000)
        options.breakerThreshold = try o.int("breaker_failures", default: 5, min: 1, max: 1000)
        options.breakerCooldown = try o.number("breaker_cooldown_ms", default: 30_000, min: 0, max: 86_400_000) / 1000
        options.cacheSize = try o.int("cache_size", default: 10_000, min: 0, max: 10_000_000)
        let caBundle = try o.string("ca_bundle")
        let transport: any HTTPTransport
        do {
            transport = try context.makeTransport(caBundle, options.maxConcurrency)
        } catch {
            throw o.fail("url", "cannot create the HTTP client: \(error)")
        }
        return RemoteJudge(name: name, url: url, wire: wire, headers: headers, options: options, transport: transport,
                           clock: context.clock, logger: context.logger,
                           seed: context.seed ^ UInt64(truncatingIfNeeded: name.hashValueStable),
                           environment: context.environment)
    }

    private static func openAIChatWire(_ o: inout SpecObject, range: ClosedRange<Double>?) throws -> OpenAIChatWire {
        let model = try o.requiredString("model")
        let output = OpenAIChatWire.Output(rawValue: try o.oneOf("output", ["score", "pairwise"], default: "score"))!
        if output == .score, range == nil { throw o.fail("range", "required for output \"score\": [low, high]") }
        guard let input = try o.array("input"), !input.isEmpty else {
            throw o.fail("input", "required: a non-empty array of {\"role\", \"content\"} messages")
        }
        var messages: [(role: String, content: String)] = []
        for (i, m) in input.enumerated() {
            var mo = try SpecObject(m, path: o.pathOf("input") + "[\(i)]")
            let role = try mo.oneOf("role", ["system", "developer", "user", "assistant"])
            let content = try mo.requiredString("content")
            for p in OpenAIChatWire.placeholdersUsed(in: content) where !OpenAIChatWire.placeholders.contains(p) {
                throw mo.fail("content", "unknown placeholder {{\(p)}}; use {{prompt}}, {{completion}} or {{reference}}")
            }
            try mo.finish()
            messages.append((role, content))
        }
        var sampling: [String: JSONValue] = [:]
        if let params = try o.object("sampling_params") {
            let allowed = ["temperature", "top_p", "seed", "max_tokens", "max_completions_tokens"]
            for (k, v) in params {
                let path = o.pathOf("sampling_params") + ".\(k)"
                guard allowed.contains(k) else {
                    throw RewardError.invalidSpec(path: path, message: "unknown; allowed: \(allowed.joined(separator: ", "))")
                }
                guard case .number(let d) = v, d.isFinite else {
                    throw RewardError.invalidSpec(path: path, message: "expected a finite number")
                }
                // OpenAI graders spell it max_completions_tokens; chat completions take max_tokens.
                sampling[k == "max_completions_tokens" ? "max_tokens" : k] = .number(d)
            }
        }
        return OpenAIChatWire(model: model, messages: messages, output: output, range: range, samplingParams: sampling)
    }
}

extension String {
    /// FNV-1a over UTF-8: a hash that is the same in every run (Swift's hashValue is seeded per process).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
