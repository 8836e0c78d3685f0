/// A small, fast, seedable generator (SplitMix64). Sampling draws from one stream per sample, seeded
/// from (request seed, prompt index, sample index), so the same request gives the same samples no
/// matter how the batch is scheduled.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts a stream at `seed`.
    public init(seed: UInt64) { state = seed }

    /// A stream derived from several numbers (e.g. seed, prompt, sample), well mixed.
    public init(seed: UInt64, _ streams: UInt64...) {
        var s = SeededRandom(seed: seed)
        var mixed = s.next()
        for value in streams {
            s = SeededRandom(seed: mixed ^ (value &* 0xD6E8_FEB8_6659_FD93))
            mixed = s.next()
        }
        state = mixed
    }

    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
