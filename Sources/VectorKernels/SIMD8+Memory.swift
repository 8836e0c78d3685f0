/// Unaligned 8-lane loads and stores: rows of our buffers start at arbitrary float offsets.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

extension SIMD8 where Scalar == Float {
    /// Sum of the lanes by halving (8 → 4 → 2 → 1): three vector adds, where `sum()` is a chain of seven
    /// scalar adds with lane extracts.
    @inline(__always)
    var horizontalSum: Float {
        let four = lowHalf + highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }
}
