/// A parsed GGUF file (versions 2 and 3): its metadata, its tensor directory, and the tensor data, memory-mapped.
///
/// Everything in the header is treated as hostile: every length is checked against the bytes remaining before it
/// is used, counts and dimension products are overflow-checked, tensor data ranges must lie inside the file without
/// overlapping. Violations throw `GGUFError` with the byte offset of the field at fault.
public struct GGUFFile: Sendable {
    /// GGUF format version (2 or 3).
    public let version: Int
    /// The key-value header.
    public let metadata: GGUFMetadata
    /// Tensor directory in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset where the tensor data section starts.
    public let dataOffset: Int

    private let storage: FileBytes
    private let indexByName: [String: Int]

    /// Maps and parses the file at `path`.
    public init(path: String) throws(GGUFError) {
        try self.init(storage: FileBytes(mapping: path))
    }

    /// Parses a GGUF image held in memory (tests, files made by `GGUFWriter`).
    public init(bytes: some Collection<UInt8>) throws(GGUFError) {
        try self.init(storage: FileBytes(copying: bytes))
    }

    private init(storage: FileBytes) throws(GGUFError) {
        let header = try GGUFParser.parse(storage.buffer)
        self.storage = storage
        version = header.version
        metadata = header.metadata
        tensors = header.tensors
        alignment = header.alignment
        dataOffset = header.dataOffset
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        indexByName = index
    }

    /// Total size of the file in bytes.
    public var byteCount: Int { storage.buffer.count }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        indexByName[name].map { tensors[$0] }
    }

    /// The tensor called `name` or a `missingTensor` error (for weights a model cannot do without).
    public func requireTensor(named name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw GGUFError(.missingTensor, "tensor '\(name)' is missing") }
        return t
    }

    /// Calls `body` with the raw stored bytes of `tensor`; the pointer is valid only inside `body`.
    public func withRawBytes<R>(
        of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(rebasing: storage.buffer[tensor.offset..<(tensor.offset + tensor.byteCount)]))
        }
    }

    /// Dequantizes `tensor` into `destination`, which must hold exactly `tensor.elementCount` floats.
    public func dequantize(_ tensor: GGUFTensorInfo, into destination: UnsafeMutableBufferPointer<Float>)
        throws(GGUFError)
    {
        guard destination.count == tensor.elementCount else {
            throw GGUFError(.badArgument, "tensor '\(tensor.name)' has \(tensor.elementCount) values, "
                                + "destination holds \(destination.count)")
        }
        guard tensor.offset >= dataOffset, tensor.offset + tensor.byteCount <= storage.buffer.count else {
            throw GGUFError(.badArgument, "tensor '\(tensor.name)' does not belong to this file")
        }
        let source = UnsafeRawBufferPointer(rebasing: storage.buffer[tensor.offset..<(tensor.offset + tensor.byteCount)])
        try withExtendedLifetime(storage) { () throws(GGUFError) in
            try tensor.type.dequantize(source, into: destination)
        }
    }

    /// Dequantizes `tensor` into a new array of `tensor.elementCount` floats (layout as stored: ne0 fastest).
    public func dequantize(_ tensor: GGUFTensorInfo) throws(GGUFError) -> [Float] {
        var failure: GGUFError?
        let values = [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            do throws(GGUFError) {
                try dequantize(tensor, into: buffer)
                initialized = buffer.count
            } catch {
                failure = error
                // Floats are trivial: zeroing is only to hand back initialized memory before the throw.
                buffer.initialize(repeating: 0)
                initialized = buffer.count
            }
        }
        if let failure { throw failure }
        return values
    }
}
