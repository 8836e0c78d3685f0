import Foundation
import HTTP
import Llama
import Logging

/// The HTTP API of DESIGN.md §5 around one compute engine: configuration, metrics, and the routes of every
/// area, each registered by its own file (`APIServer+Generate.swift`, ...). `makeRoutes()` builds the router
/// the `HTTPServer` serves.
public final class APIServer: Sendable {
    /// What the operator decides at start-up.
    public struct Configuration: Sendable {
        /// The key `/v1` routes require; nil leaves them open (loopback only, or `--insecure`).
        public var apiKey: APIKey?
        /// Where checkpoints, run logs and registrations live (`grao serve --data`).
        public var dataDirectory: String
        /// Bounds on what one request may ask for.
        public var limits: RequestLimits

        /// A configuration; see the properties.
        public init(apiKey: APIKey? = nil, dataDirectory: String = "data", limits: RequestLimits = RequestLimits()) {
            self.apiKey = apiKey
            self.dataDirectory = dataDirectory
            self.limits = limits
        }
    }

    /// Bounds on a single request, so no client can make the server allocate or compute without limit.
    public struct RequestLimits: Sendable {
        /// Most prompts in one generation request.
        public var maxPrompts: Int
        /// Most samples per prompt (`n`, `group_size`).
        public var maxGroupSize: Int
        /// Most new tokens per sample; also the default of OpenAI routes without `max_tokens`, capped by the context.
        public var maxNewTokens: Int
        /// Most stop strings per request.
        public var maxStopStrings: Int
        /// Most samples in one request (prompts × samples per prompt).
        public var maxSamples: Int
        /// Most KV-cache positions one request may reserve (see `ComputeEngine.positions`): caps its memory.
        public var maxPositions: Int
        /// Most prompt tokens in one request (all prompts together): caps the prefill time one call can demand.
        public var maxPromptTokens: Int

        /// Defaults: 64 prompts, 64 samples each, 1024 new tokens, 8 stop strings, 256 samples, 32,768 cache
        /// positions (~1.5 GB for SmolLM2-135M) and 32,768 prompt tokens per request.
        public init(maxPrompts: Int = 64, maxGroupSize: Int = 64, maxNewTokens: Int = 1024, maxStopStrings: Int = 8,
                    maxSamples: Int = 256, maxPositions: Int = 32_768, maxPromptTokens: Int = 32_768) {
            self.maxPrompts = maxPrompts
            self.maxGroupSize = maxGroupSize
            self.maxNewTokens = maxNewTokens
            self.maxStopStrings = maxStopStrings
            self.maxSamples = maxSamples
            self.maxPositions = maxPositions
            self.maxPromptTokens = maxPromptTokens
        }
    }

    /// The settings this server runs with.
    public let configuration: Configuration
    /// The model's owner; every route that touches the model submits jobs to it.
    public let engine: ComputeEngine
    /// Everything `/metrics` shows.
    public let metrics: APIMetrics
    /// The server's logger (areas log through it with their own metadata).
    public let logger: Logger
    /// When the server was made (uptime in `/v1/model`).
    public let started = Date()
    /// Rewards, groups, checkpoints and runs kept for the stateful routes (opened on the data directory at
    /// start-up); nil when the server was made without (those routes then answer 503).
    public let stores: ServerState?

    /// An API over `engine`, keeping its state in `state`.
    public init(configuration: Configuration, engine: ComputeEngine, logger: Logger, state: ServerState? = nil) {
        self.configuration = configuration
        self.engine = engine
        self.stores = state
        self.logger = logger
        metrics = APIMetrics(engine: engine)
    }

    /// Every route of every area, wrapped with the key check and metrics. Each area adds one line here.
    public func makeRoutes() -> APIRoutes {
        var routes = APIRoutes(key: configuration.apiKey, metrics: metrics, logger: logger)
        registerHealthRoutes(&routes)
        registerModelRoutes(&routes)
        registerGenerateRoutes(&routes)
        registerOpenAIRoutes(&routes)
        registerRewardRoutes(&routes)
        registerScoreRoutes(&routes)
        registerGroupRoutes(&routes)
        registerTrainStepRoutes(&routes)
        registerCheckpointRoutes(&routes)
        registerRunRoutes(&routes)
        return routes
    }

    /// The loaded model's description, or 503 while it is loading (or failed to load).
    public func requireModel() throws(HTTPError) -> ModelInfo {
        switch engine.status {
        case .ready:
            if let info = engine.modelInfo { return info }
            throw ComputeEngine.unavailable("the model is loading")
        case .loading: throw HTTPError(.serviceUnavailable, code: "model_loading", message: "the model is still loading; retry shortly",
                                       headers: ["Retry-After": "2"])
        case .failed: throw ComputeEngine.unavailable("the model failed to load; see the server log")
        case .stopped: throw ComputeEngine.unavailable("the server is shutting down")
        }
    }
}
