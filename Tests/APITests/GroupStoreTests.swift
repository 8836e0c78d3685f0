import Alignment
import Foundation
import HTTP
import Rewards
import Synchronization
import Testing
@testable import API

@Suite struct GroupStoreTests {
    /// A clock tests move by hand.
    final class ManualClock: Sendable {
        let base = ContinuousClock.now
        let offset = Mutex<Duration>(.zero)
        func advance(_ d: Duration) { offset.withLock { $0 += d } }
        var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    }

    static func group(_ prompt: String) -> StoredGroup {
        let example = TrainingExample(prompt: prompt, reference: "y")
        let rollout = RolloutGroup(example: example, prompt: [1, 2], samples: [RolloutSample(tokens: [4], text: "a")],
                                   reference: [3], rejected: nil)
        return StoredGroup(scored: try! ScoredGroup(group: rollout, sampleRewards: [0], referenceReward: 1),
                           sampleOutcomes: [.score(RewardScore(0))], referenceOutcome: .score(RewardScore(1)),
                           advantages: GroupAdvantages(sampleRewards: [0], referenceReward: 1),
                           rewardName: "exact", policyStep: 0, policyVersion: 0)
    }

    @Test func insertGivesDistinctIdsAndGetReturnsTheGroup() throws {
        let store = GroupStore()
        let stored = store.insert((0..<50).map { Self.group("p\($0)") })
        #expect(Set(stored.map(\.id)).count == 50)
        #expect(stored.allSatisfy { $0.id.hasPrefix("grp_") && $0.id.count == 20 && !$0.createdAt.isEmpty })
        #expect(try store.get(stored[7].id).scored.group.example.promptText == "p7")
        #expect(httpError { _ = try store.get("grp_0000000000000000") }?.status == .notFound)
    }

    @Test func capacityEvictsTheOldest() throws {
        let store = GroupStore(capacity: 3)
        let ids = store.insert((0..<5).map { Self.group("p\($0)") }).map(\.id)
        #expect(store.count == 3)
        #expect(httpError { _ = try store.get(ids[1]) }?.status == .notFound)
        #expect(try store.get(ids[2]).scored.group.example.promptText == "p2")
        #expect(try store.get(ids[4]).scored.group.example.promptText == "p4")
    }

    @Test func groupsExpireByAge() throws {
        let clock = ManualClock()
        let store = GroupStore(capacity: 10, maxAge: 60, now: { clock.now })
        let old = store.insert([Self.group("old")])[0].id
        clock.advance(.seconds(40))
        let young = store.insert([Self.group("young")])[0].id
        clock.advance(.seconds(30))  // old is 70 s, young 30 s
        let error = httpError { _ = try store.get(old) }
        #expect(error?.status == .notFound)
        #expect(error?.message.contains("expired") == true)
        #expect(try store.get(young).scored.group.example.promptText == "young")
        #expect(store.count == 1)
    }

    @Test func listsOfIdsNameTheBadPosition() throws {
        let store = GroupStore()
        let ids = store.insert([Self.group("a"), Self.group("b")]).map(\.id)
        #expect(try store.groups([ids[1], ids[0]], path: "$.group_ids").map(\.scored.group.example.promptText) == ["b", "a"])
        let unknown = httpError { _ = try store.groups([ids[0], "grp_nope"], path: "$.group_ids") }
        #expect(unknown?.status == .badRequest)
        #expect(unknown?.message.hasPrefix("field 'group_ids[1]':") == true)
        let repeated = httpError { _ = try store.groups([ids[0], ids[1], ids[0]], path: "$.group_ids") }
        #expect(repeated?.message.hasPrefix("field 'group_ids[2]':") == true)
    }
}
