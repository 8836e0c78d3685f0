/// Size limits the parser enforces before buffering anything unbounded. Each maps to the status the
/// RFC names: request-target -> 414, header section -> 431, body -> 413.
public struct HTTPParserLimits: Sendable {
    /// Longest request-target in bytes (414 beyond).
    public var maxTargetBytes: Int
    /// Largest header section (request line + fields + CRLFs) in bytes (431 beyond); also bounds trailers.
    public var maxHeaderBytes: Int
    /// Most header field lines (431 beyond); also bounds trailers.
    public var maxHeaderCount: Int
    /// Largest body after de-chunking (413 beyond).
    public var maxBodyBytes: Int
    /// Longest chunk-size line including extensions (400 beyond): extensions are ignored, so a long
    /// one is only ever a way to make us buffer.
    public var maxChunkLineBytes: Int

    /// Defaults sized for a JSON API: 8 KiB targets, 16 KiB of headers, 100 fields, 4 MiB bodies.
    public init(maxTargetBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 4 * 1024 * 1024, maxChunkLineBytes: Int = 1024) {
        self.maxTargetBytes = maxTargetBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }

    /// Raw bytes a chunked body may occupy on the wire before 413: the de-chunked limit plus room
    /// for framing, so tiny chunks cannot make the connection buffer grow without bound.
    var maxChunkedWireBytes: Int { maxBodyBytes * 2 + 64 * 1024 }
}
