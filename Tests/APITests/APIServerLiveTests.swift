import Dispatch
import Foundation
import HTTP
import Synchronization
import Testing
@testable import API

/// The API over real sockets on a tiny in-process model: keys, field-naming 400s, the queue bound, health
/// checks that never wait for the engine, and a vanished client's queued work being dropped.
@Suite struct APIServerLiveTests {
    static let key = "test-key-0123456789abcdef"
    static let auth = ["Authorization": "Bearer \(key)"]

    @Test func healthRoutesAreOpenAndV1RoutesNeedTheKey() async throws {
        try await withLiveAPI(try .tiny(key: Self.key)) { port in
            try await onThread { () throws in
                #expect(try Wire.request(port, "GET", "/healthz").status == 200)
                #expect(try Wire.request(port, "GET", "/metrics").status == 200)
                let missing = try Wire.request(port, "GET", "/v1/model")
                #expect(missing.status == 401)
                #expect(missing.errorCode == "unauthorized")
                #expect(missing.header("WWW-Authenticate") == "Bearer")
                #expect(try Wire.request(port, "GET", "/v1/model", headers: ["Authorization": "Bearer wrong-key-0123456789"]).status == 401)
                // Refused before any model work.
                #expect(try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt":"hi"}"#).status == 401)
            }
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            try await onThread { () throws in
                let model = try Wire.request(port, "GET", "/v1/model", headers: Self.auth)
                #expect(model.status == 200)
                #expect(model.json["name"] as? String == "tiny")
                #expect((model.json["architecture"] as? [String: Any])?["layers"] as? Int == 2)
                #expect(model.json["step"] as? Int == 0)
            }
        }
    }

    @Test func generateReturnsGroupsWithLogProbs() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            try await onThread { () throws in
                let r = try Wire.request(port, "POST", "/v1/generate", body: #"""
                    {"prompts": ["Hello", [{"role": "user", "content": "Hi"}]], "group_size": 3, "max_tokens": 5,
                     "temperature": 1.0, "seed": 5, "logprobs": true}
                    """#)
                #expect(r.status == 200, "\(r.text)")
                let groups = try #require(r.json["groups"] as? [[String: Any]])
                #expect(groups.count == 2)
                #expect(r.json["seed"] as? Int == 5)
                for group in groups {
                    let samples = try #require(group["samples"] as? [[String: Any]])
                    #expect(samples.count == 3)
                    for sample in samples {
                        let tokens = try #require(sample["tokens"] as? [Int])
                        let logprobs = try #require(sample["logprobs"] as? [Double])
                        #expect((1...5).contains(tokens.count))
                        #expect(logprobs.count == tokens.count && logprobs.allSatisfy { $0 <= 0 })
                        #expect(["eos", "stop", "length"].contains(sample["finish_reason"] as? String ?? ""))
                    }
                }
                // Same seed, same request: same samples.
                let again = try Wire.request(port, "POST", "/v1/generate", body: #"""
                    {"prompts": ["Hello", [{"role": "user", "content": "Hi"}]], "group_size": 3, "max_tokens": 5,
                     "temperature": 1.0, "seed": 5, "logprobs": true}
                    """#)
                #expect((again.json["groups"] as? [[String: Any]])?.map { ($0["samples"] as! [[String: Any]]).map { $0["tokens"] as! [Int] } }
                        == groups.map { ($0["samples"] as! [[String: Any]]).map { $0["tokens"] as! [Int] } })
            }
        }
    }

    @Test(arguments: [
        (#"{"prompt": "x", "temperature": -1}"#, "field 'temperature' must be in [0, 100], got -1"),
        (#"{"prompt": "x", "n": 0}"#, "field 'n' must be in 1...64, got 0"),
        (#"{"prompt": "x", "group_size": 100000}"#, "field 'group_size' must be in 1...64, got 100000"),
        (#"{"prompt": "x", "max_tokens": 4000}"#, "field 'max_tokens' must be in 1...1024, got 4000"),
        (#"{"prompt": "x", "max_tokens": 250}"#, "field 'max_tokens' (250) plus the 8 tokens of 'prompt' exceed the context length 256"),
        (#"{"prompt": "x", "top_p": 0}"#, "field 'top_p' must be in (0, 1]; 0 would keep no token"),
        (#"{"prompt": "x", "stop": [""]}"#, "field 'stop[0]' must not be an empty string"),
        (#"{"prompt": "x", "temprature": 1}"#, "field 'temprature' is not a known field of this request"),
        (#"{"prompt": 5}"#, "field 'prompt' must be a string or a list of chat messages, got the number 5"),
        (#"{"prompts": []}"#, "field 'prompts' must not be empty"),
        (#"{"prompts": ["a", [{"role": "robot", "content": "x"}]]}"#, "field 'prompts[1][0].role' must be one of system, user, assistant, developer; got 'robot'"),
        (#"{"n": 2}"#, "field 'prompts' is required (or give one 'prompt')"),
        (#"{"prompt": "x", "seed": -3}"#, "field 'seed' must be in 0...9007199254740992, got -3"),
    ])
    func badGenerateBodiesName(_ body: String, _ message: String) async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            // A prompt of 8 tokens: "x" in the tiny byte tokenizer is one token, so the context case uses chat.
            let payload = body.contains("250") ? #"{"prompt": "xxxxxxxx", "max_tokens": 250}"# : body
            let r = try await onThread { try Wire.request(port, "POST", "/v1/generate", body: payload) }
            #expect(r.status == 400)
            #expect(r.errorMessage == message)
        }
    }

    @Test func promptsPastTheContextAreRefusedByField() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            let long = String(repeating: "a", count: 300)
            let r = try await onThread { () throws in
                try Wire.request(port, "POST", "/v1/generate", body: #"{"prompts": ["ok", "\#(long)"], "max_tokens": 2}"#)
            }
            #expect(r.status == 400)
            #expect(r.errorCode == "context_length_exceeded")
            #expect(r.errorMessage?.hasPrefix("field 'prompts[1]' has 300 tokens") == true)
        }
    }

    @Test func promptTokensPerRequestAreBounded() async throws {
        try await withLiveAPI(try .tiny(limits: .init(maxPromptTokens: 4))) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            let r = try await onThread { try Wire.request(port, "POST", "/v1/generate", body: #"{"prompts": ["abc", "def"]}"#) }
            #expect(r.status == 400)
            #expect(r.errorMessage == "field 'prompts' has 6 prompt tokens; at most 4 per request")
        }
    }

    @Test func openAIShapes() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            try await onThread { () throws in
                let chat = try Wire.request(port, "POST", "/v1/chat/completions", body: #"""
                    {"model": "anything", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
                     "n": 2, "max_tokens": 4, "seed": 1, "logprobs": true, "temperature": 0.8}
                    """#)
                #expect(chat.status == 200, "\(chat.text)")
                #expect(chat.json["object"] as? String == "chat.completion")
                let choices = try #require(chat.json["choices"] as? [[String: Any]])
                #expect(choices.count == 2)
                #expect((choices[0]["message"] as? [String: Any])?["role"] as? String == "assistant")
                #expect(["stop", "length"].contains(choices[0]["finish_reason"] as? String ?? ""))
                let content = try #require((choices[0]["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
                #expect(!content.isEmpty && content[0]["logprob"] is Double && content[0]["top_logprobs"] is [Any])
                let usage = try #require(chat.json["usage"] as? [String: Int])
                #expect(usage["total_tokens"] == usage["prompt_tokens"]! + usage["completion_tokens"]!)

                let completion = try Wire.request(port, "POST", "/v1/completions", body: #"""
                    {"model": "m", "prompt": ["a", "b"], "n": 2, "max_tokens": 3, "logprobs": 0, "stop": "\n"}
                    """#)
                #expect(completion.status == 200, "\(completion.text)")
                #expect(completion.json["object"] as? String == "text_completion")
                let texts = try #require(completion.json["choices"] as? [[String: Any]])
                #expect(texts.map { $0["index"] as? Int } == [0, 1, 2, 3])
                #expect((texts[0]["logprobs"] as? [String: Any])?["token_logprobs"] is [Double])

                let streamOptions = try Wire.request(port, "POST", "/v1/chat/completions",
                                                     body: #"{"model": "m", "messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}}"#)
                #expect(streamOptions.status == 400)
                #expect(streamOptions.errorMessage == "field 'stream_options' is only allowed with 'stream': true")
            }
        }
    }

    @Test func aFullEngineQueueAnswers503AndHealthStillAnswers() async throws {
        let api = try APIServer.tiny(engineLimits: .init(queueCapacity: 1))
        try await withLiveAPI(api) { port in
            #expect(await eventually { api.engine.status == .ready })
            let gate = DispatchSemaphore(value: 0)
            let started = Atomic<Bool>(false)
            let blocking = Task { try await api.engine.run { _ in started.store(true, ordering: .sequentiallyConsistent); gate.wait() } }
            #expect(await eventually { started.load(ordering: .sequentiallyConsistent) })
            // The engine is busy (and stays busy until the gate opens): health, readiness and metrics answer anyway.
            try await onThread { () throws in
                #expect(try Wire.request(port, "GET", "/healthz").status == 200)
                #expect(try Wire.request(port, "GET", "/readyz").status == 200)
                #expect(try Wire.request(port, "GET", "/metrics").text.contains("grao_engine_busy 1"))
            }
            let queued = Task { try await onThread { try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt": "a", "max_tokens": 2}"#) } }
            #expect(await eventually { api.engine.counters.queued == 1 })
            let refused = try await onThread { try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt": "b", "max_tokens": 2}"#) }
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.errorCode == "engine_busy")
            gate.signal()
            _ = try await blocking.value
            #expect(try await queued.value.status == 200)
        }
    }

    @Test func aClientThatLeavesHasItsQueuedJobDropped() async throws {
        let api = try APIServer.tiny()
        try await withLiveAPI(api) { port in
            #expect(await eventually { api.engine.status == .ready })
            let gate = DispatchSemaphore(value: 0)
            let started = Atomic<Bool>(false)
            let blocking = Task { try await api.engine.run { _ in started.store(true, ordering: .sequentiallyConsistent); gate.wait() } }
            #expect(await eventually { started.load(ordering: .sequentiallyConsistent) })
            try await onThread { () throws in
                let socket = try Wire.connect(port)
                try Wire.send(socket, method: "POST", path: "/v1/generate", body: #"{"prompt": "a", "max_tokens": 2}"#)
                socket.close()
            }
            #expect(await eventually { api.engine.counters.dropped == 1 })
            #expect(api.engine.counters.queued == 0)
            gate.signal()
            _ = try await blocking.value
            #expect(await eventually { api.metrics.requests.value(["/v1/generate", "POST", "499"]) == 1 })
        }
    }

    @Test func metricsCountRequestsByRouteAndTokens() async throws {
        let api = try APIServer.tiny()
        try await withLiveAPI(api) { port in
            #expect(await eventually { api.engine.status == .ready })
            try await onThread { () throws in
                _ = try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt": "abc", "max_tokens": 3, "n": 2}"#)
                _ = try Wire.request(port, "POST", "/v1/generate", body: #"{"prompt": "abc", "n": 0}"#)
                let text = try Wire.request(port, "GET", "/metrics").text
                #expect(text.contains(#"grao_http_requests_total{route="/v1/generate",method="POST",status="200"} 1"#))
                #expect(text.contains(#"grao_http_requests_total{route="/v1/generate",method="POST",status="400"} 1"#))
                #expect(text.contains(#"grao_http_request_duration_seconds_count{route="/v1/generate",method="POST"} 2"#))
                #expect(text.contains("grao_prompt_tokens_total 3"))
                #expect(text.contains("grao_model_ready 1"))
            }
            #expect(api.metrics.generatedTokens.value() >= 2)
        }
    }

    @Test func tokenizeCountsTokens() async throws {
        try await withLiveAPI(try .tiny()) { port in
            #expect(await eventually { (try? Wire.request(port, "GET", "/readyz").status) == 200 })
            let r = try await onThread { try Wire.request(port, "POST", "/v1/tokenize", body: #"{"prompt": "abc"}"#) }
            #expect(r.status == 200)
            #expect(r.json["tokens"] as? [Int] == [97, 98, 99].map { TinyModel.vocabulary.firstIndex(of: String(UnicodeScalar($0)))! })
            #expect(r.json["count"] as? Int == 3)
        }
    }
}
