import Foundation
import HTTP
import Logging
import Rewards
import Testing

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "grao-api-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    /// Every file name under the directory, recursively (temporaries included).
    func allFiles() -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}

/// A reward context whose environment is a fixed table (tests control `env:NAME` lookups).
func testRewardContext(_ environment: [String: String] = [:]) -> RewardContext {
    RewardContext(logger: Logger(label: "test"), environment: { environment[$0] })
}

/// Runs `body` and returns the HTTPError it threw (nil when it did not throw one).
func httpError(_ body: () throws -> Void) -> HTTPError? {
    do { try body() } catch let e as HTTPError { return e } catch { return nil }
    return nil
}
