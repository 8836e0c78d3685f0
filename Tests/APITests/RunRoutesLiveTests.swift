import Foundation
import Testing

/// Training runs end to end against real `grao serve` processes with the real model: a run followed over
/// Server-Sent Events to its end, the log replayed to a late subscriber, bad datasets refused with line numbers,
/// a cancelled run, streams resumed with Last-Event-ID (finished and live runs), and a run interrupted by a server
/// stop (recorded so by the stopping server, its follower's stream ended) found marked so, with the finished run
/// intact, after a restart.
@Suite(.serialized) struct RunRoutesLiveTests {
    /// Event kinds of an SSE body, in order, with each event's JSON.
    static func events(_ text: String) -> [(kind: String, data: [String: Any])] {
        text.components(separatedBy: "\n\n").compactMap { block in
            let lines = block.split(separator: "\n")
            guard let kind = lines.first(where: { $0.hasPrefix("event: ") })?.dropFirst(7),
                  let data = lines.first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                  let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
            return (String(kind), object)
        }
    }

    /// The `id:` of every event of an SSE body, in order.
    static func ids(_ text: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { String($0.dropFirst(4)) }
    }

    static func config(steps: Int) -> [String: Any] {
        ["steps": steps, "group_size": 2, "max_tokens": 8, "seed": 1, "trainer": ["mode": "lora", "lora_rank": 4]]
    }

    /// Polls the run until `condition` holds for its status.
    static func wait(_ server: StateServerProcess, _ id: String, until condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        for _ in 0..<1200 {
            let status = try await server.request("GET", "/v1/runs/\(id)").object["status"] as? [String: Any] ?? [:]
            if condition(status) { return status }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw StateServerProcess.Failure(description: "run \(id) never reached the condition")
    }

    @Test(.enabled(if: StateServerProcess.modelPresent, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func runsFollowedCancelledAndInterrupted() async throws {
        let data = try ScratchDirectory()
        defer { data.cleanup() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lines = try String(contentsOf: root.appendingPathComponent("examples/datasets/arithmetic/train.jsonl"), encoding: .utf8)
            .split(separator: "\n").prefix(8).joined(separator: "\n")
        try FileManager.default.createDirectory(atPath: data.path + "/datasets", withIntermediateDirectories: true)
        try lines.write(toFile: data.path + "/datasets/arith.jsonl", atomically: true, encoding: .utf8)
        var server = try await StateServerProcess.start(dataDirectory: data.path)

        // Bad datasets and configs are refused, naming the line or field; nothing is created.
        let bad: [([String: Any], String)] = [
            (["dataset": ["jsonl": "{\"prompt\": \"a\", \"reference\": \"b\"}\n{oops\n"]], "dataset.jsonl:2"),
            (["dataset": ["examples": [] as [Any]]], "no examples"),
            (["dataset": ["path": "../outside.jsonl"]], "'dataset.path'"),
            (["dataset": ["path": "datasets/missing.jsonl"]], "'dataset.path'"),
            (["dataset": ["path": "datasets/arith.jsonl"], "config": ["steps": 0]], "steps"),
            (["dataset": ["path": "datasets/arith.jsonl"], "config": ["algorithm": "ppo"]], "ppo"),
        ]
        for (body, mention) in bad {
            var full = body
            full["reward"] = "numeric_match"
            let refused = try await server.request("POST", "/v1/runs", json: full)
            #expect(refused.status == 400 && refused.errorMessage.contains(mention), "\(body): \(refused.text)")
        }
        #expect((try await server.request("GET", "/v1/runs").object["runs"] as? [Any])?.count == 0)

        // A run followed over SSE to its end: evaluation at the start, a step event per step, the checkpoint, the end.
        let created = try await server.request("POST", "/v1/runs", json: [
            "config": Self.config(steps: 2), "dataset": ["path": "datasets/arith.jsonl"],
            "eval_dataset": ["examples": [["prompt": "What is 1 + 1? Reply with the number only.", "reference": "2"]]],
            "reward": "numeric_match"])
        #expect(created.status == 201, "\(created.text)")
        let first = try #require(created.object["id"] as? String)
        let stream = try await server.request("GET", "/v1/runs/\(first)/events")
        let kinds = Self.events(stream.text).map(\.kind)
        #expect(kinds == ["state", "evaluation", "step", "step", "evaluation", "checkpoint", "state", "end"], "\(stream.text)")
        #expect(Self.events(stream.text).last?.data["state"] as? String == "completed")
        #expect(Self.events(stream.text).filter { $0.kind == "step" }.map { $0.data["step"] as? Int } == [1, 2])
        // A late subscriber gets the same history.
        let replay = try await server.request("GET", "/v1/runs/\(first)/events")
        #expect(Self.events(replay.text).map(\.kind) == kinds)
        // A client reconnecting with Last-Event-ID (the `id:` of the last event it got) gets only what came after.
        let resumed = try await server.request("GET", "/v1/runs/\(first)/events", headers: ["Last-Event-ID": "3"])
        #expect(resumed.status == 200 && Self.events(resumed.text).map(\.kind) == Array(kinds.dropFirst(4)), "\(resumed.text)")
        #expect(Self.ids(resumed.text) == (4..<kinds.count).map(String.init))
        #expect(Self.events(resumed.text).map { $0.data["sequence"] as? Int } == (4..<kinds.count).map { $0 })
        let pastTheEnd = try await server.request("GET", "/v1/runs/\(first)/events", headers: ["Last-Event-ID": "\(kinds.count - 1)"])
        #expect(pastTheEnd.status == 200 && Self.events(pastTheEnd.text).isEmpty)
        for bad in ["x", "-1", "1.5", "1234567890123456789"] {
            let refused = try await server.request("GET", "/v1/runs/\(first)/events", headers: ["Last-Event-ID": bad])
            #expect(refused.status == 400 && refused.errorMessage.contains("Last-Event-ID"), "\(bad): \(refused.text)")
        }
        let finished = try await server.request("GET", "/v1/runs/\(first)")
        #expect((finished.object["status"] as? [String: Any])?["state"] as? String == "completed")
        #expect(try await server.request("POST", "/v1/runs/\(first)/cancel").status == 409)
        #expect(try await server.request("GET", "/v1/runs/run-nope/events").status == 404)

        // Cancelled between steps.
        let second = try #require(try await server.request("POST", "/v1/runs", json: [
            "config": Self.config(steps: 50), "dataset": ["path": "datasets/arith.jsonl"], "reward": "numeric_match"]).object["id"] as? String)
        #expect(try await server.request("POST", "/v1/runs", json: [
            "config": Self.config(steps: 5), "dataset": ["path": "datasets/arith.jsonl"], "reward": "numeric_match"]).status == 409)
        #expect(try await server.request("POST", "/v1/train/step", json: ["algorithm": "sft", "groups": [["prompt": "x", "reference": "y"]]]).status == 409)
        _ = try await Self.wait(server, second) { ($0["step"] as? Int ?? 0) >= 1 }
        // A follower of the live run reconnects after event 1 (its first step): it gets the rest, live, to the end.
        let live = server
        let follower = Task { try await live.request("GET", "/v1/runs/\(second)/events", headers: ["Last-Event-ID": "1"]).text }
        _ = try await Self.wait(server, second) { ($0["step"] as? Int ?? 0) >= 2 }
        #expect(try await server.request("POST", "/v1/runs/\(second)/cancel").status == 202)
        let cancelled = Self.events(try await server.request("GET", "/v1/runs/\(second)/events").text)
        #expect(cancelled.last?.kind == "end" && cancelled.last?.data["state"] as? String == "cancelled")
        let followed = Self.events(try await follower.value)
        #expect(followed.map { $0.data["sequence"] as? Int } == cancelled.dropFirst(2).map { $0.data["sequence"] as? Int })
        #expect(followed.first?.data["sequence"] as? Int == 2 && followed.last?.kind == "end", "\(followed.map(\.kind))")

        // Interrupted by a server stop; after a restart it is marked so, and the finished run is intact.
        let third = try #require(try await server.request("POST", "/v1/runs", json: [
            "config": Self.config(steps: 50), "dataset": ["path": "datasets/arith.jsonl"], "reward": "numeric_match"]).object["id"] as? String)
        let stopping = server
        let thirdFollower = Task { try await stopping.request("GET", "/v1/runs/\(third)/events").text }
        _ = try await Self.wait(server, third) { ($0["step"] as? Int ?? 0) >= 1 }
        #expect(await server.stop() == 0)
        // The stop is orderly: the run recorded itself interrupted (before the restart), and its follower's stream
        // ended with the end event instead of being cut.
        let statusFile = URL(fileURLWithPath: data.path + "/runs/\(third)/status.json")
        let onDisk = try JSONSerialization.jsonObject(with: Data(contentsOf: statusFile)) as? [String: Any] ?? [:]
        #expect(onDisk["state"] as? String == "interrupted" && (onDisk["reason"] as? String ?? "").contains("server stopped"), "\(onDisk)")
        let lastSeen = Self.events(try await thirdFollower.value).last
        #expect(lastSeen?.kind == "end" && lastSeen?.data["state"] as? String == "interrupted")
        server = try await StateServerProcess.start(dataDirectory: data.path)
        let interrupted = try await server.request("GET", "/v1/runs/\(third)")
        let status = try #require(interrupted.object["status"] as? [String: Any])
        #expect(status["state"] as? String == "interrupted" && (status["step"] as? Int ?? 0) >= 1, "\(interrupted.text)")
        #expect((status["reason"] as? String ?? "").contains("server stopped"), "the run's own reason is kept: \(interrupted.text)")
        let afterRestart = Self.events(try await server.request("GET", "/v1/runs/\(third)/events").text)
        #expect(afterRestart.filter { $0.kind == "step" }.count >= 1 && afterRestart.last?.data["state"] as? String == "interrupted")
        let runs = try #require(try await server.request("GET", "/v1/runs").object["runs"] as? [[String: Any]])
        #expect(runs.compactMap { ($0["status"] as? [String: Any])?["state"] as? String } == ["completed", "cancelled", "interrupted"])
        #expect(Self.events(try await server.request("GET", "/v1/runs/\(first)/events").text).map(\.kind) == kinds)
        let checkpoint = data.path + "/runs/\(first)/checkpoints/step-2/grao_checkpoint.json"
        #expect(FileManager.default.fileExists(atPath: checkpoint))
        #expect(await server.stop() == 0)
    }
}
