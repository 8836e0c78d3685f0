/// Remembers judge scores so the same (judge, prompt, completion, reference) is never paid for twice, e.g. the
/// reference scored against itself every step. Least-recently-used eviction; failures are never cached.
struct RewardCache {
    struct Key: Hashable {
        let judge: String
        let prompt: String
        let completion: String
        let reference: String?
    }

    private final class Node {
        let key: Key
        var score: RewardScore
        var hits = 0
        var newer: Node?
        weak var older: Node?
        init(key: Key, score: RewardScore) {
            self.key = key
            self.score = score
        }
    }

    let capacity: Int
    private var nodes: [Key: Node] = [:]
    private var newest: Node?
    private var oldest: Node?
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { nodes.count }

    /// The cached score, counting a hit (and making it most recent) or a miss.
    mutating func lookup(_ key: Key) -> RewardScore? {
        guard capacity > 0 else { return nil }
        guard let node = nodes[key] else {
            misses += 1
            return nil
        }
        hits += 1
        node.hits += 1
        unlink(node)
        pushNewest(node)
        return node.score
    }

    /// Hits recorded for one entry (for tests and metrics).
    func hitCount(_ key: Key) -> Int { nodes[key]?.hits ?? 0 }

    mutating func insert(_ key: Key, _ score: RewardScore) {
        guard capacity > 0 else { return }
        if let node = nodes[key] {
            node.score = score
            unlink(node)
            pushNewest(node)
            return
        }
        let node = Node(key: key, score: score)
        nodes[key] = node
        pushNewest(node)
        if nodes.count > capacity, let victim = oldest {
            unlink(victim)
            nodes[victim.key] = nil
        }
    }

    private mutating func unlink(_ node: Node) {
        let older = node.older
        let newer = node.newer
        older?.newer = newer
        newer?.older = older
        if newest === node { newest = older }
        if oldest === node { oldest = newer }
        node.newer = nil
        node.older = nil
    }

    private mutating func pushNewest(_ node: Node) {
        node.older = newest
        newest?.newer = node
        newest = node
        if oldest == nil { oldest = node }
    }
}
