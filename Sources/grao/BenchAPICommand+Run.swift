import API
import ArgumentParser
import Foundation
import Synchronization

extension BenchAPICommand {
    /// `healthz_during_run`: `/healthz` under wrk while a real training run, started over `POST /v1/runs` (LoRA
    /// GRAO, G=4, 16 new tokens, one prompt per step), takes its steps on the engine. The figure checks that the
    /// run really trained meanwhile: the run's step count before and after the measurement (`run_steps_during`)
    /// and how often the engine was found busy (sampled every 5 ms). The run is cancelled afterwards.
    func healthzDuringRun(port: UInt16, engine: ComputeEngine, idleRate: Double) async throws {
        let examples = (1...8).map { i -> [String: String] in
            ["prompt": "What is \(i) + \(i * 3)? Reply with the number only.", "reference": "\(i + i * 3)"]
        }
        let body = [UInt8](try JSONSerialization.data(withJSONObject: [
            "config": ["steps": 10_000, "group_size": 4, "max_tokens": 16, "seed": 1, "checkpoint_at_end": false,
                       "trainer": ["mode": "lora", "lora_rank": 4, "learning_rate": 1e-4]],
            "dataset": ["examples": examples], "reward": "numeric_match",
        ] as [String: Any]))
        let id = try await Self.onThread { () throws -> String in
            let created = try Self.post(port: port, path: "/v1/runs", body: body)
            guard let id = created["id"] as? String else { throw ValidationError("POST /v1/runs gave no id: \(created)") }
            return id
        }
        let status = { @Sendable () async throws -> (step: Int, state: String) in
            try await Self.onThread {
                let run = try Self.request(port: port, method: "GET", path: "/v1/runs/\(id)")["status"] as? [String: Any] ?? [:]
                return (run["step"] as? Int ?? 0, run["state"] as? String ?? "?")
            }
        }
        // Into its stride first: past the trainer's creation and the first step.
        var before = try await status(), polls = 0
        while before.step < 1 {
            polls += 1
            guard polls < 1200, ["queued", "running"].contains(before.state) else {
                throw ValidationError("the run never took a step: \(before)")
            }
            try await Task.sleep(for: .milliseconds(100))
            before = try await status()
        }
        let counts = BusyCounts(), measuring = ManagedFlag()
        let sampler = Task.detached {
            while !measuring.isSet {
                counts.samples.add(1, ordering: .relaxed)
                if engine.counters.running { counts.busy.add(1, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let (wrkSeconds, wrkConnections) = (wrkSeconds, wrkConnections)
        let during = try await Self.onThread { try Self.wrk(port: port, seconds: wrkSeconds, connections: wrkConnections) }
        measuring.set()
        await sampler.value
        let after = try await status()
        _ = try await Self.onThread { () throws -> Int in
            _ = try Self.post(port: port, path: "/v1/runs/\(id)/cancel", body: [])
            return 0
        }
        var ended = try await status()
        polls = 0
        while ["queued", "running"].contains(ended.state), polls < 1200 {
            polls += 1
            try await Task.sleep(for: .milliseconds(100))
            ended = try await status()
        }
        let stepsDuring = after.step - before.step
        let busyFraction = Double(counts.busy.load(ordering: .relaxed)) / Double(max(1, counts.samples.load(ordering: .relaxed)))
        try Self.emit(["figure": "healthz_during_run", "requests_per_s": during.rate, "p99_ms": during.p99,
                       "ratio_to_idle": during.rate / idleRate, "run_steps_during": stepsDuring,
                       "run_state_after": after.state, "engine_busy_fraction": busyFraction,
                       "run_was_training": stepsDuring >= 1 && after.state == "running", "run_final_state": ended.state,
                       "connections": wrkConnections, "seconds": wrkSeconds])
    }
}

/// How often the engine was sampled, and how often it was found running a job.
final class BusyCounts: Sendable {
    let samples = Atomic<Int>(0)
    let busy = Atomic<Int>(0)
}
