import Foundation
import HTTP
import Logging
import Rewards

/// What the API keeps besides the model: registered rewards and checkpoints on disk under the data directory,
/// server-side groups in memory (and, with runs, training runs). Made once at start-up, so a restart on the
/// same data directory finds every registration and checkpoint again.
public final class ServerState: Sendable {
    /// Operator settings for the stores.
    public struct Options: Sendable {
        /// Hosts remote judges may be at; nil allows any.
        public var allowedJudgeHosts: [String]?
        /// Most server-side groups held, and seconds each stays retrievable.
        public var groupCapacity: Int
        public var groupMaxAge: Double
        /// The model's likelihoods for `model_judge` rewards (`EngineLikelihoodScorer` over the server's engine);
        /// nil refuses such specs.
        public var likelihoodScorer: (any CompletionLikelihoodScorer)?

        /// Defaults: any judge host, 1,024 groups for an hour (at most 64 samples × 1,024 tokens each: bounded
        /// memory), no model judge.
        public init(allowedJudgeHosts: [String]? = nil, groupCapacity: Int = 1024, groupMaxAge: Double = 3600,
                    likelihoodScorer: (any CompletionLikelihoodScorer)? = nil) {
            self.allowedJudgeHosts = allowedJudgeHosts
            self.groupCapacity = groupCapacity
            self.groupMaxAge = groupMaxAge
            self.likelihoodScorer = likelihoodScorer
        }
    }

    /// The data directory (`grao serve --data`).
    public let dataDirectory: String
    /// `<data>/rewards`: named reward specs and judges.
    public let rewards: RewardRegistry
    /// Groups made by `POST /v1/groups` (and fresh-prompt steps), by id.
    public let groups: GroupStore
    /// `<data>/checkpoints`: saved weights or adapters.
    public let checkpoints: CheckpointCatalog
    /// `<data>/runs`: training runs, and the one this process drives.
    public let runs: RunRegistry

    /// Opens the stores under `dataDirectory`, creating what is missing and reloading what is there.
    public init(dataDirectory: String, options: Options = Options(), logger: Logger) throws {
        self.dataDirectory = dataDirectory
        rewards = try RewardRegistry(directory: (dataDirectory as NSString).appendingPathComponent("rewards"),
                                     context: RewardContext(logger: logger, likelihoodScorer: options.likelihoodScorer),
                                     allowedJudgeHosts: options.allowedJudgeHosts)
        groups = GroupStore(capacity: options.groupCapacity, maxAge: options.groupMaxAge)
        checkpoints = try CheckpointCatalog(directory: (dataDirectory as NSString).appendingPathComponent("checkpoints"))
        runs = try RunRegistry(dataDirectory: dataDirectory)
        for warning in runs.store.warnings { logger.warning("run store", metadata: ["problem": "\(warning)"]) }
        for entry in rewards.list() where entry.unavailableReason != nil {
            logger.warning("stored reward cannot be used", metadata: ["reward": "\(entry.name)",
                                                                      "reason": "\(entry.unavailableReason!)"])
        }
    }
}

extension APIServer {
    /// The stores of the stateful routes, or 503 when this server was made without a data directory.
    var state: ServerState {
        get throws {
            guard let stores else {
                throw HTTPError(.serviceUnavailable, code: "no_data_directory",
                                message: "this server was started without a data directory; rewards, groups, checkpoints and runs are unavailable")
            }
            return stores
        }
    }
}
