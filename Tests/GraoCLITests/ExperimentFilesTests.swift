import Foundation
import Testing
@testable import grao

/// Experiment output files: booleans survive a read-back-and-rewrite (JSONSerialization hands them back as
/// numbers), non-finite numbers become null, whole files are replaced atomically.
@Suite struct ExperimentFilesTests {
    @Test func booleansAndNonFiniteNumbers() throws {
        let first = try ExperimentFiles.json(["ok": true, "x": Double.nan, "n": 3, "list": [false, 1.5]] as [String: Any])
        #expect(String(decoding: first, as: UTF8.self) == #"{"list":[false,1.5],"n":3,"ok":true,"x":null}"#)
        let readBack = try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
        let second = try ExperimentFiles.json(readBack)
        #expect(String(decoding: second, as: UTF8.self) == #"{"list":[false,1.5],"n":3,"ok":true,"x":null}"#)
    }

    @Test func atomicWriteReplacesAndReads() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grao-files-\(UUID().uuidString)/r.json").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        #expect(try ExperimentFiles.readObject(path) == nil)
        try ExperimentFiles.writeAtomically(Data(#"{"a": 1}"#.utf8), to: path)
        try ExperimentFiles.writeAtomically(Data(#"{"a": 2}"#.utf8), to: path)
        #expect(try ExperimentFiles.readObject(path)?["a"] as? Int == 2)
        try ExperimentFiles.writeAtomically(Data("torn".utf8), to: path)
        #expect(throws: ExperimentError.self) { try ExperimentFiles.readObject(path) }
    }
}
