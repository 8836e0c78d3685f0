#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns the bytes of a GGUF file: a read-only private memory mapping of the file, or a heap copy for files built in
/// memory. Shared by reference so the mapping lives exactly as long as some `GGUFFile` value does.
final class FileBytes: @unchecked Sendable {
    // Immutable after init and never written through: safe to share across threads.
    let buffer: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps the file at `path` read-only.
    init(mapping path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GGUFError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError(.io, "cannot stat '\(path)': \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw GGUFError(.io, "'\(path)' is not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else { throw GGUFError(.truncated, at: 0, "'\(path)' is empty") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError(.io, "cannot map '\(path)' (\(size) bytes): \(String(cString: strerror(errno)))")
        }
        buffer = UnsafeRawBufferPointer(start: base, count: size)
        isMapped = true
    }

    /// Copies `bytes` into an owned, 64-byte aligned allocation (aligned like a mapping would be).
    init(copying bytes: some Collection<UInt8>) {
        let count = bytes.count
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let typed = UnsafeMutableRawBufferPointer(start: storage, count: count)
        _ = typed.initializeMemory(as: UInt8.self, from: bytes)
        buffer = UnsafeRawBufferPointer(start: storage, count: count)
        isMapped = false
    }

    deinit {
        guard let base = buffer.baseAddress else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
        } else {
            base.deallocate()
        }
    }
}
