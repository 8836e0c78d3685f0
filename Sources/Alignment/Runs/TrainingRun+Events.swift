import Foundation

extension TrainingRun {
    /// The run's events: the history so far, then live events until the end event (then the stream finishes).
    /// Dropping the stream unsubscribes; the run does not depend on anyone listening.
    public func events() -> AsyncStream<RunEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RunEvent.self, bufferingPolicy: .unbounded)
        for event in history { continuation.yield(event) }
        if history.last?.kind == .end {
            continuation.finish()
            return stream
        }
        let key = UUID()
        subscribers[key] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(key) }
        }
        return stream
    }

    func unsubscribe(_ key: UUID) { subscribers[key] = nil }

    func makeEvent(_ kind: RunEvent.Kind) -> RunEvent {
        RunEvent(sequence: history.count, kind: kind, time: clock().timeIntervalSince1970, step: status.step)
    }

    /// Records, keeps and broadcasts an event; a recorder failure fails the run (its log would be incomplete).
    func emit(_ event: RunEvent) throws {
        history.append(event)
        for continuation in subscribers.values { continuation.yield(event) }
        do { try recorder?.record(event, status: status) } catch {
            throw AlignmentError.invalidTraining("recording run \(id): \(error)")
        }
    }

    /// Moves the state machine, stamping times, and emits the state event.
    func enter(_ next: RunState, reason: String?) throws {
        guard status.state.canTransition(to: next) else {
            throw AlignmentError.invalidTraining("run \(id): cannot go from \(status.state.rawValue) to \(next.rawValue)")
        }
        let now = clock().timeIntervalSince1970
        status.state = next
        status.reason = reason
        if next == .running { status.startedAt = now }
        if next.isTerminal { status.endedAt = now }
        var event = makeEvent(.state)
        event.state = next
        event.reason = reason
        try emit(event)
    }

    /// The final event, then every subscriber's stream ends. Recording problems here cannot change the outcome.
    func emitEnd() {
        var event = makeEvent(.end)
        event.state = status.state
        event.reason = status.reason
        try? emit(event)
        for continuation in subscribers.values { continuation.finish() }
        subscribers = [:]
    }
}
