import Testing
@testable import HTTP

/// Drives the connection state machine with a fake clock (plain nanosecond numbers): no sleeping.
@Suite struct ConnectionLifecycleTests {
    private let timeouts = ConnectionLifecycle.Timeouts(HTTPTimeouts(
        header: .seconds(10), body: .seconds(30), idle: .seconds(60), write: .seconds(20), linger: .seconds(2)))
    private let s: UInt64 = 1_000_000_000

    @Test func freshConnectionMustStartWithinTheHeaderTimeout() {
        let lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        #expect(lifecycle.timeoutAction(now: 10 * s - 1) == nil)
        #expect(lifecycle.timeoutAction(now: 10 * s) == .close)  // nothing asked: no 408
    }

    @Test func tricklingHeadersDoNotExtendTheDeadline() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        for t in 1...9 { lifecycle.headBytesArrived(now: UInt64(t) * s) }
        #expect(lifecycle.state == .readingHead)
        #expect(lifecycle.timeoutAction(now: 10 * s) == .respond408)
    }

    @Test func keepAliveRequestGetsAFreshHeaderDeadlineFromItsFirstByte() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        lifecycle.headBytesArrived(now: 1 * s)
        lifecycle.requestComplete()
        #expect(lifecycle.timeoutAction(now: 1000 * s) == nil)  // handlers may run for minutes
        lifecycle.responseComplete(keepAlive: true, now: 1000 * s)
        #expect(lifecycle.timeoutAction(now: 1059 * s) == nil)
        lifecycle.headBytesArrived(now: 1059 * s)
        #expect(lifecycle.timeoutAction(now: 1068 * s) == nil)
        #expect(lifecycle.timeoutAction(now: 1069 * s) == .respond408)
    }

    @Test func idleKeepAliveConnectionsClose() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        lifecycle.requestComplete()
        lifecycle.responseComplete(keepAlive: true, now: 5 * s)
        #expect(lifecycle.isIdle)
        #expect(lifecycle.timeoutAction(now: 64 * s) == nil)
        #expect(lifecycle.timeoutAction(now: 65 * s) == .close)
    }

    @Test func bodyDeadlineCountsFromTheEndOfTheHead() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        lifecycle.headBytesArrived(now: 0)
        lifecycle.headComplete(now: 2 * s)
        lifecycle.headComplete(now: 20 * s)  // more body bytes do not extend it
        #expect(lifecycle.timeoutAction(now: 31 * s) == nil)
        #expect(lifecycle.timeoutAction(now: 32 * s) == .respond408)
    }

    @Test func blockedOutputClosesWithoutProgress() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        lifecycle.requestComplete()
        lifecycle.outputBlocked(now: 1 * s, progressed: false)
        lifecycle.outputBlocked(now: 15 * s, progressed: false)  // no progress: deadline stays
        #expect(lifecycle.timeoutAction(now: 21 * s) == .close)
        lifecycle.outputBlocked(now: 15 * s, progressed: true)   // the client read something
        #expect(lifecycle.timeoutAction(now: 34 * s) == nil)
        lifecycle.outputDrained()
        #expect(lifecycle.timeoutAction(now: 1000 * s) == nil)
    }

    @Test func lingeringEndsAfterItsTimeout() {
        var lifecycle = ConnectionLifecycle(timeouts: timeouts, now: 0)
        lifecycle.requestComplete()
        lifecycle.responseComplete(keepAlive: false, now: 1 * s)
        #expect(lifecycle.state == .lingering)
        #expect(lifecycle.timeoutAction(now: 3 * s) == .close)
    }
}
