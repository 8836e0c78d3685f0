/// A fixed-size, heap-allocated, zero-initialised run of `Float`s: the one storage type for weights,
/// activations and caches. A class (not an array) so that kernels can take raw pointers without
/// copy-on-write checks and so that a buffer can be shared (e.g. a prompt's KV cache by G samples).
///
/// Thread safety: the buffer itself does no locking. Weights are written once at load and only read
/// afterwards; scratch buffers belong to one forward pass at a time.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of floats.
    public let count: Int
    /// Start of the storage; valid for the lifetime of the buffer.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` zeros. `count` must already be validated by the caller (never a raw file field).
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer: negative count \(count)")
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// Copies an array into a new buffer.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// Bounds-checked element access (for tests and cold paths; kernels use `pointer`).
    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return pointer[index] }
        set { precondition(index >= 0 && index < count); pointer[index] = newValue }
    }

    /// A copy of the contents as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }
}
