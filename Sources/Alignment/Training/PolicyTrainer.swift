import Foundation
import LinearAlgebra
import Llama
import Synchronization

/// Runs update steps on a model: micro-batched training forward and backward passes over objective items,
/// gradient accumulation, global-norm clipping, AdamW at the scheduled rate, and the bookkeeping around them
/// (LoRA merged policy for sampling, frozen reference policy).
///
/// One step at a time: callers serialize access (the class holds the gradients and activations it reuses).
public final class PolicyTrainer: @unchecked Sendable {
    public let config: TrainerConfig
    /// The base model. Full fine-tuning updates its weights in place; LoRA never changes it.
    public let model: LlamaModel
    /// LoRA adapters being trained (nil for full fine-tuning).
    public let adapters: LoRAAdapters?
    public internal(set) var optimizer: AdamW
    /// Steps skipped for non-finite values.
    public internal(set) var skippedSteps = 0
    /// The last change of the weights this trainer trains, numbered process-wide (0: none since the trainer
    /// was made with fresh adapters or over the model as it was). Lets a server tell whether samples came
    /// from the current policy: step numbers cannot, since they restart with every new trainer.
    public private(set) var weightsRevision: UInt64 = 0
    private static let revisions = Mutex<UInt64>(0)

    let activations = TrainingActivations()
    let gradients: LlamaGradients?
    let adapterGradients: LoRAAdapters?
    private var mergedPolicy: LlamaModel?
    private var frozenReference: LlamaModel?

    /// A trainer for `model`; LoRA adapters are created (A random, B zero) when the mode asks for them.
    public init(model: LlamaModel, config: TrainerConfig, adapters: LoRAAdapters? = nil) throws {
        guard config.microBatchTokens >= 1, config.chunkRows >= 1 else {
            throw AlignmentError.invalidTraining("micro_batch_tokens and chunk_rows must be >= 1")
        }
        if let max = config.maxGradNorm, !(max.isFinite && max > 0) {
            throw AlignmentError.invalidTraining("max_grad_norm must be > 0, got \(max)")
        }
        self.config = config
        self.model = model
        switch config.mode {
        case .full:
            self.adapters = nil
            gradients = LlamaGradients(config: model.config)
            adapterGradients = nil
            let tensors = model.weights.trainableTensors(tied: model.config.tiedOutput)
            optimizer = AdamW(config: config.optimizer, tensorSizes: tensors.map(\.buffer.count),
                              decays: tensors.map { $0.buffer.count != model.config.width })  // no decay on norm gains
        case .lora(let lora):
            if adapters != nil { weightsRevision = Self.nextRevision() }  // given adapters: not the base policy
            let adapters = try adapters ?? LoRAAdapters.initialized(config: lora, model: model.config, seed: config.seed)
            guard adapters.config == lora else {
                throw AlignmentError.invalidTraining("given adapters do not match the LoRA config")
            }
            self.adapters = adapters
            gradients = nil
            adapterGradients = try LoRAAdapters(config: lora, model: model.config)
            optimizer = AdamW(config: config.optimizer, tensorSizes: adapters.tensors.map(\.buffer.count))
            mergedPolicy = try LlamaModel(config: model.config,
                                          weights: adapters.mergedWeights(base: model.weights, config: model.config))
        }
    }

    /// Parameters the optimizer updates and their gradients, in matching order.
    var parameterTensors: [(name: String, buffer: FloatBuffer)] {
        adapters?.tensors ?? model.weights.trainableTensors(tied: model.config.tiedOutput)
    }
    var gradientTensors: [(name: String, buffer: FloatBuffer)] { adapterGradients?.tensors ?? gradients!.tensors }

    /// The current policy for sampling and no-grad scoring: the model itself (full), or base + adapters merged.
    public var policy: LlamaModel { mergedPolicy ?? model }

    /// The reference policy of DPO and GRPO's KL. LoRA: the base model (adapters off, no copy). Full
    /// fine-tuning: a frozen copy of the weights, made the first time it is asked for (call this before the
    /// first update of a run to freeze the starting weights).
    public func referencePolicy() throws -> LlamaModel {
        if adapters != nil { return model }
        if let frozenReference { return frozenReference }
        let copy = try LlamaModel(config: model.config, weights: model.weights.copy(config: model.config))
        frozenReference = copy
        return copy
    }

    /// Re-derives what depends on the trained weights (the merged LoRA policy); called after every update
    /// and after loading weights or adapters from a checkpoint. (A tied head shares the embedding's buffer.)
    public func weightsChanged() throws {
        weightsRevision = Self.nextRevision()
        if let adapters, let mergedPolicy {
            try adapters.merge(base: model.weights, into: mergedPolicy.weights, config: model.config)
        }
    }

    private static func nextRevision() -> UInt64 { revisions.withLock { $0 += 1; return $0 } }

    /// Restores optimizer moments and step (checkpoint resume).
    public func restoreOptimizer(step: Int, firstMoments: [[Float]], secondMoments: [[Float]]) throws {
        try optimizer.restore(step: step, firstMoments: firstMoments, secondMoments: secondMoments)
    }

    /// Groups consecutive items into micro-batches of at most `microBatchTokens` fed tokens.
    func microBatches(_ items: [ObjectiveItem]) -> [Range<Int>] {
        var result: [Range<Int>] = [], start = 0, tokens = 0
        for (i, item) in items.enumerated() {
            let fed = item.sequences.reduce(0) { $0 + $1.prompt.count + max($1.completion.count - 1, 0) }
            if i > start && tokens + fed > config.microBatchTokens {
                result.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += fed
        }
        if start < items.count { result.append(start..<items.count) }
        return result
    }
}

extension PolicyTrainer {
    /// Bytes of saved activations and of scratch held for the largest micro-batch so far.
    public var activationBytes: (saved: Int, scratch: Int) { (activations.savedBytes, activations.scratchBytes) }
}
