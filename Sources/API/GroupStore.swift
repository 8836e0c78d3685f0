import Alignment
import Foundation
import Rewards
import Synchronization

/// A prompt's group of samples, scored, with advantages: what `POST /v1/groups` makes and `POST /v1/train/step`
/// consumes by id. The rollout group keeps the token ids, so a later step trains on exactly what was sampled.
public struct StoredGroup: Sendable {
    /// The id clients refer to (`grp_` + 16 hex digits); set by `GroupStore.insert`.
    public var id: String
    /// Example, prompt tokens, samples, reference tokens and the rewards (nil = failed) the trainer uses.
    public var scored: ScoredGroup
    /// Per sample: the score with its components, or the failure (masked out of steps, never read as 0).
    public var sampleOutcomes: [RewardOutcome]
    /// The reference scored as a candidate against itself (GRAO's r_y); nil without a reference.
    public var referenceOutcome: RewardOutcome?
    /// Group-relative advantages (reference in the group unless the request said otherwise).
    public var advantages: GroupAdvantages
    /// Name of the reward that scored the group.
    public var rewardName: String
    /// Optimizer step of the policy that generated the samples (reported; restarts with a new trainer).
    public var policyStep: Int
    /// `EngineContext.policyVersion` when the samples were generated: a later step on the group counts it
    /// stale when the policy's weights have changed since.
    public var policyVersion: UInt64
    /// Wall-clock creation time (ISO 8601, UTC); set by `GroupStore.insert`.
    public var createdAt: String

    /// A group before it is stored.
    public init(scored: ScoredGroup, sampleOutcomes: [RewardOutcome], referenceOutcome: RewardOutcome?,
                advantages: GroupAdvantages, rewardName: String, policyStep: Int, policyVersion: UInt64) {
        id = ""
        createdAt = ""
        self.scored = scored
        self.sampleOutcomes = sampleOutcomes
        self.referenceOutcome = referenceOutcome
        self.advantages = advantages
        self.rewardName = rewardName
        self.policyStep = policyStep
        self.policyVersion = policyVersion
    }
}

/// Server-side groups held in memory under ids for later steps. Bounded two ways: at most `capacity` groups
/// (inserting past it evicts the oldest) and at most `maxAge` old (older ones answer 404 and are dropped), so
/// clients that never come back cannot grow memory. Groups do not survive a restart: they are tied to the
/// policy that sampled them.
public final class GroupStore: Sendable {
    /// Most groups held.
    public let capacity: Int
    /// Seconds a group stays retrievable.
    public let maxAge: Double
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<(groups: [String: (group: StoredGroup, born: ContinuousClock.Instant)], order: [String])>

    /// A store; `now` is injected so tests control ageing.
    public init(capacity: Int = 4096, maxAge: Double = 3600,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        precondition(capacity >= 1 && maxAge > 0, "group store bounds must be positive")
        self.capacity = capacity
        self.maxAge = maxAge
        self.now = now
        state = Mutex(([:], []))
    }

    /// Stores groups under fresh ids (returned in order, also set on the groups), evicting the oldest past capacity.
    @discardableResult
    public func insert(_ groups: [StoredGroup]) -> [StoredGroup] {
        let t = now()
        let created = ISO8601DateFormatter().string(from: Date())
        var rng = SystemRandomNumberGenerator()
        return state.withLock { s in
            expire(&s, at: t)
            return groups.map { group in
                var g = group
                repeat { g.id = "grp_" + String(format: "%016llx", rng.next() as UInt64) } while s.groups[g.id] != nil
                g.createdAt = created
                s.groups[g.id] = (g, t)
                s.order.append(g.id)
                while s.order.count > capacity { s.groups[s.order.removeFirst()] = nil }
                return g
            }
        }
    }

    /// The group stored under `id`.
    public func get(_ id: String) throws -> StoredGroup {
        let t = now()
        let found = state.withLock { s -> StoredGroup? in
            expire(&s, at: t)
            return s.groups[id]?.group
        }
        guard let found else { throw StoreError.notFound("group", id, "unknown or expired (groups live \(Int(maxAge)) s)") }
        return found
    }

    /// Groups for a request's list of ids, in order; an unknown or repeated id is a 400 naming its position
    /// under `path` (`$.group_ids[3]`).
    public func groups(_ ids: [String], path: String) throws -> [StoredGroup] {
        let t = now()
        return try state.withLock { s in
            expire(&s, at: t)
            var seen = Set<String>()
            return try ids.enumerated().map { i, id in
                guard seen.insert(id).inserted else { throw StoreError.invalid("\(path)[\(i)]", "group '\(id)' is listed twice") }
                guard let g = s.groups[id]?.group else {
                    throw StoreError.invalid("\(path)[\(i)]", "group '\(id)' is unknown or expired (groups live \(Int(maxAge)) s)")
                }
                return g
            }
        }
    }

    /// Groups currently held.
    public var count: Int {
        let t = now()
        return state.withLock { s in
            expire(&s, at: t)
            return s.groups.count
        }
    }

    /// Drops groups older than `maxAge`; insertion order is age order, so they are at the front.
    private func expire(_ s: inout (groups: [String: (group: StoredGroup, born: ContinuousClock.Instant)], order: [String]),
                        at t: ContinuousClock.Instant) {
        let limit = Duration.milliseconds(Int64(maxAge * 1000))
        var drop = 0
        while drop < s.order.count, let entry = s.groups[s.order[drop]], t - entry.born > limit {
            s.groups[s.order[drop]] = nil
            drop += 1
        }
        if drop > 0 { s.order.removeFirst(drop) }
    }
}
