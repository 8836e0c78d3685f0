import Llama
import Alignment
import Tokenization

/// What a loaded model brings besides its weights, readable from any thread: tokenizing, chat formatting and
/// validating requests need it, and none of that should wait for the engine's turn.
public struct ModelInfo: Sendable {
    /// Shapes and constants (read from the GGUF metadata).
    public let config: LlamaConfig
    /// The GGUF's byte-level BPE tokenizer.
    public let tokenizer: BPETokenizer
    /// The file's chat template; nil when it has none grao can render (chat routes then answer 400).
    public let chatTemplate: ChatTemplate?
    /// Ids that end a sample (EOS and end-of-turn tokens).
    public let endOfSequence: Set<Int>
    /// A short name for responses (`/v1/model`, OpenAI `model` fields): the file name without extension.
    public let name: String
    /// The file the weights came from.
    public let path: String

    /// Describes a loaded model.
    public init(config: LlamaConfig, tokenizer: BPETokenizer, chatTemplate: ChatTemplate?, name: String, path: String) {
        self.config = config
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        endOfSequence = tokenizer.endOfGenerationIds
        self.name = name
        self.path = path
    }
}

/// The mutable model state the engine owns. Jobs receive it on the engine thread and only there: it is not
/// `Sendable`, so the compiler keeps it from escaping into handler tasks.
public final class EngineContext {
    /// Tokenizer, template and shapes (also available off the engine as `ComputeEngine.modelInfo`).
    public let info: ModelInfo
    /// The base model. Full fine-tuning changes its weights in place.
    public let model: LlamaModel
    /// The trainer, once one exists (made by the first training job that needs it, with that job's settings).
    public var trainer: PolicyTrainer? {
        didSet {
            // A full fine-tuning trainer changed the base model in place; its last change stays after it goes.
            if let old = oldValue, old !== trainer, old.adapters == nil {
                baseRevision = max(baseRevision, old.weightsRevision)
            }
        }
    }
    /// The last change of the base model's own weights by a full fine-tuning trainer that is gone (0: as loaded).
    private var baseRevision: UInt64 = 0
    /// Name of the checkpoint last loaded or saved, for `/v1/model`.
    public var checkpoint: String?
    /// Values other parts of the API keep beside the model (e.g. the optimizer settings a trainer was made
    /// with), keyed by a name their owner chooses; engine-thread only like the rest of the context.
    public var extensions: [String: Any] = [:]

    /// A context around a loaded model.
    public init(info: ModelInfo, model: LlamaModel) {
        self.info = info
        self.model = model
    }

    /// The policy to sample from and score with: the trainer's (LoRA merged in) when training has begun,
    /// else the base model.
    public var policy: LlamaModel { trainer?.policy ?? model }

    /// Optimizer steps taken so far (0 before any training).
    public var step: Int { trainer?.optimizer.step ?? 0 }

    /// Identifies the weights `policy` samples with: equal versions mean the same weights. Changes with every
    /// applied update and checkpoint load, and when a trainer is replaced by one whose policy differs (fresh
    /// LoRA adapters over the same base are the base policy again). Stored groups keep the version they were
    /// sampled under, so a step on them can say how many are stale even after a run replaced the trainer.
    public var policyVersion: UInt64 {
        guard let trainer else { return baseRevision }
        if trainer.adapters == nil { return max(baseRevision, trainer.weightsRevision) }
        return trainer.weightsRevision == 0 ? baseRevision : trainer.weightsRevision
    }
}
