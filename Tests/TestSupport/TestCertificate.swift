import Foundation

/// A throwaway self-signed certificate for 127.0.0.1, made with the openssl command line, so TLS tests
/// can run a real https judge and trust it through a CA bundle. Deleted with `remove()`.
public struct TestCertificate: Sendable {
    /// PEM certificate (also the CA bundle that trusts it) and its private key.
    public let certificatePath: String
    public let keyPath: String
    private let directory: URL

    /// Makes the pair in a fresh temporary directory; throws when openssl fails.
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("grao-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        certificatePath = directory.appendingPathComponent("cert.pem").path
        keyPath = directory.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                             "-nodes", "-keyout", keyPath, "-out", certificatePath, "-days", "1",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        let status = ProcessExit.wait(for: openssl)
        guard status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw JudgeServerProcess.StartError(description: "openssl could not make a test certificate (exit \(status))")
        }
    }

    /// Deletes the files.
    public func remove() { try? FileManager.default.removeItem(at: directory) }
}
