import ArgumentParser
import Foundation
import Logging
import Rewards

/// `--reward SPEC` as `grao train` takes it (the same specs as `grao score --reward`): inline JSON, or `@path`
/// to a JSON file.
enum RewardSpecLoader {
    /// The spec's JSON text.
    static func text(of spec: String) throws -> String {
        guard spec.hasPrefix("@") else { return spec }
        let path = String(spec.dropFirst())
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read reward spec file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Builds the reward model a spec describes; spec errors become usage errors naming the field. A
    /// `model_judge` needs `scorer` (the local model's likelihoods).
    static func make(_ specText: String, seed: UInt64, label: String,
                     scorer: (any CompletionLikelihoodScorer)? = nil) throws -> any RewardModel {
        var logger = Logger(label: label) { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        do {
            return try RewardSpec.makeReward(json: specText, context: RewardContext(logger: logger, seed: seed,
                                                                                   likelihoodScorer: scorer))
        } catch let error as RewardError {
            throw ValidationError("invalid reward spec: \(error)")
        }
    }
}
