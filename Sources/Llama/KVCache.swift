import LinearAlgebra

/// Keys and values of the positions a sequence has seen, for every layer, so that decoding one token
/// costs one row of work instead of recomputing the prefix.
///
/// A cache can be forked: the child reads its parent's first `parentLength` positions in place and
/// stores only its own. That is how a prompt is prefilled once and shared by the G samples of a
/// group. Appending to the parent later does not disturb the child (it never reads beyond
/// `parentLength`); the child holds a strong reference, so the parent lives as long as any child.
public final class KVCache: @unchecked Sendable {
    /// The cache whose prefix this one continues, if forked.
    public let parent: KVCache?
    /// How many of the parent's positions precede this cache's own.
    public let parentLength: Int
    /// Positions this cache can store itself.
    public let capacity: Int
    /// Positions stored here (not counting the parent's).
    public private(set) var ownCount = 0

    let layerCount: Int
    let kvWidth: Int
    /// Keys, already rotated. [L, capacity, KVD]
    let keys: FloatBuffer
    /// Values. [L, capacity, KVD]
    let values: FloatBuffer

    /// An empty cache for up to `capacity` positions; refuses more than the model's context length.
    public convenience init(config: LlamaConfig, capacity: Int) throws {
        try self.init(config: config, capacity: capacity, parent: nil)
    }

    private init(config: LlamaConfig, capacity: Int, parent: KVCache?) throws {
        let start = parent?.count ?? 0
        guard capacity >= 0, start + capacity <= config.contextLength else {
            throw LlamaError.invalidRequest(
                "\(start) + \(capacity) positions exceed the model's context length \(config.contextLength)")
        }
        self.parent = parent
        parentLength = start
        self.capacity = capacity
        layerCount = config.layerCount
        kvWidth = config.kvWidth
        keys = FloatBuffer(count: config.layerCount * capacity * config.kvWidth)
        values = FloatBuffer(count: config.layerCount * capacity * config.kvWidth)
    }

    /// Total positions visible to the next token: the parent's prefix plus this cache's own.
    public var count: Int { parentLength + ownCount }

    /// A child that continues from this cache's current end with room for `capacity` more positions.
    public func fork(config: LlamaConfig, capacity: Int) throws -> KVCache {
        try KVCache(config: config, capacity: capacity, parent: self)
    }

    /// One contiguous run of cached positions of one layer: `length` rows of KVD floats each.
    struct Segment {
        let keys: UnsafeMutablePointer<Float>    // [length, KVD]
        let values: UnsafeMutablePointer<Float>  // [length, KVD]
        let length: Int
    }

    /// The runs holding positions 0..<total of `layer` (ancestors first), where positions at or beyond
    /// `count` are the ones the current forward pass has written but not yet committed.
    func segments(layer: Int, total: Int) -> [Segment] {
        var result = parent?.segments(layer: layer, total: min(total, parentLength)) ?? []
        let own = total - parentLength
        if own > 0 {
            let offset = layer * capacity * kvWidth
            result.append(Segment(keys: keys.pointer + offset, values: values.pointer + offset, length: own))
        }
        return result
    }

    /// Where the key and value rows of own position `index` (0-based, after the parent) live.
    func rows(layer: Int, ownIndex index: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
        let offset = (layer * capacity + index) * kvWidth
        return (keys.pointer + offset, values.pointer + offset)
    }

    /// Marks `n` more positions as stored, after every layer has written them.
    func commit(_ n: Int) { ownCount += n }
}
