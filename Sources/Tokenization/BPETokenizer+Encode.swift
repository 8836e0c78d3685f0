extension BPETokenizer {
    /// Token ids of `text`. With `parseSpecial`, control tokens written in the text (`<|im_start|>`) become their
    /// ids; without it they are ordinary text. User-defined tokens are always matched (llama.cpp's rule).
    /// `addSpecialTokens` adds BOS/EOS as the configuration asks (SmolLM2 asks for neither).
    public func encode(_ text: String, parseSpecial: Bool = false, addSpecialTokens: Bool = true) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens && configuration.addBOS, let bos = configuration.bosId { out.append(bos) }
        let bytes = Array(text.utf8)
        var merger = Merger()
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .special(let id):
                out.append(id)
            case .text(let range):
                let (scalars, offsets) = Self.scalars(of: bytes, in: range)
                for word in preTokenizer.split(scalars) {
                    merger.encode(bytes[offsets[word.lowerBound]..<offsets[word.upperBound]], byteTokens: byteTokens,
                                  merges: merges, into: &out)
                }
            }
        }
        if addSpecialTokens && configuration.addEOS, let eos = configuration.eosId { out.append(eos) }
        return out
    }

    /// The scalars of a valid UTF-8 range and the byte offset where each starts (plus the end offset), so words can
    /// be cut from the bytes without re-encoding. The bytes come from a Swift String: they are valid UTF-8, and the
    /// special-token cuts fall on character boundaries (UTF-8 is self-synchronising).
    static func scalars(of bytes: [UInt8], in range: Range<Int>) -> ([Unicode.Scalar], [Int]) {
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(range.count)
        offsets.reserveCapacity(range.count + 1)
        var i = range.lowerBound
        while i < range.upperBound {
            let lead = UInt32(bytes[i])
            var value: UInt32
            var length: Int
            switch lead {
            case ..<0x80: value = lead; length = 1
            case ..<0xE0: value = lead & 0x1F; length = 2
            case ..<0xF0: value = lead & 0x0F; length = 3
            default: value = lead & 0x07; length = 4
            }
            for k in 1..<max(length, 1) where i + k < range.upperBound {
                value = value << 6 | UInt32(bytes[i + k] & 0x3F)
            }
            offsets.append(i)
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            i += length
        }
        offsets.append(range.upperBound)
        return (scalars, offsets)
    }

    enum Fragment: Equatable {
        case text(Range<Int>)
        case special(Int)
    }

    /// Splits out special tokens the way llama.cpp does: for each special token, longest first, every occurrence
    /// in every remaining text fragment (left to right, non-overlapping) is cut out.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for special in specialTokens where parseSpecial || special.alwaysParsed {
            let needle = special.text
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment, range.count >= needle.count else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                var i = range.lowerBound
                while i + needle.count <= range.upperBound {
                    if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                        if start < i { next.append(.text(start..<i)) }
                        next.append(.special(special.id))
                        changed = true
                        i += needle.count
                        start = i
                    } else {
                        i += 1
                    }
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = next }
        }
        return fragments
    }
}

/// Applies merges to one word with a priority queue: the pair of lowest rank (leftmost among equal ranks) merges
/// first, as in reference BPE, in O(n log n) per word instead of rescanning all pairs after each merge.
/// Keeps its buffers between words to avoid reallocating.
struct Merger {
    private var ids: [Int32] = []
    private var prev: [Int32] = []
    private var next: [Int32] = []
    private var heap = PairHeap()

    mutating func encode(_ bytes: ArraySlice<UInt8>, byteTokens: [Int32], merges: [UInt64: BPETokenizer.Merge],
                         into out: inout [Int]) {
        let n = bytes.count
        guard n > 0 else { return }
        ids.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        for (i, b) in zip(0..., bytes) {
            ids.append(byteTokens[Int(b)])
            prev.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        if n > 1 {
            heap.removeAll()
            for i in 0..<(n - 1) { push(Int32(i), Int32(i + 1), merges) }
            while let pair = heap.pop() {
                let l = Int(pair.left), r = Int(pair.right)
                // Stale entries: a side was merged away or changed since this pair was queued.
                guard ids[l] == pair.leftId, ids[r] == pair.rightId, next[l] == pair.right else { continue }
                ids[l] = pair.result
                ids[r] = -2  // merged away
                let after = next[r]
                next[l] = after
                if after >= 0 { prev[Int(after)] = Int32(l) }
                if prev[l] >= 0 { push(prev[l], Int32(l), merges) }
                if after >= 0 { push(Int32(l), after, merges) }
            }
        }
        var i: Int32 = 0
        while i >= 0 {
            // -1: a byte the vocabulary cannot spell; dropped, as llama.cpp drops it.
            if ids[Int(i)] >= 0 { out.append(Int(ids[Int(i)])) }
            i = next[Int(i)]
        }
    }

    private mutating func push(_ left: Int32, _ right: Int32, _ merges: [UInt64: BPETokenizer.Merge]) {
        let l = ids[Int(left)], r = ids[Int(right)]
        guard l >= 0, r >= 0, let merge = merges[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] else { return }
        heap.push(PairHeap.Pair(rank: merge.rank, left: left, right: right, leftId: l, rightId: r,
                                result: merge.result))
    }
}

/// A binary min-heap of candidate merges ordered by (rank, left position).
struct PairHeap {
    struct Pair {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftId: Int32
        var rightId: Int32
        var result: Int32

        func precedes(_ other: Pair) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    private var items: [Pair] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ pair: Pair) {
        items.append(pair)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Pair? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count && items[left].precedes(items[best]) { best = left }
                if right < items.count && items[right].precedes(items[best]) { best = right }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
