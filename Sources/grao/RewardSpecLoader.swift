import ArgumentParser
import Foundation
import Logging
import Rewards

/// `--reward SPEC` as `grao score` and `grao train` take it: inline JSON, or `@path` to a JSON file.
enum RewardSpecLoader {
    /// Builds the reward model a spec describes; unreadable files and spec errors become usage errors naming the field.
    static func load(_ spec: String, seed: UInt64, label: String) throws -> any RewardModel {
        let specText: String
        if spec.hasPrefix("@") {
            let path = String(spec.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read reward spec file \(path)")
            }
            specText = String(decoding: data, as: UTF8.self)
        } else {
            specText = spec
        }
        var logger = Logger(label: label) { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        do {
            return try RewardSpec.makeReward(json: specText, context: RewardContext(logger: logger, seed: seed))
        } catch let error as RewardError {
            throw ValidationError("invalid reward spec: \(error)")
        }
    }
}
