import Foundation
import LinearAlgebra
import Llama

/// What `grao_checkpoint.json` records next to the tensors.
public struct CheckpointMetadata: Sendable, Codable, Equatable {
    public var formatVersion: Int
    /// "lora" (adapter only, PEFT layout) or "full" (every weight).
    public var kind: String
    /// sha256 of the base model file the weights or adapter belong to.
    public var baseModelSHA256: String
    /// Optimizer steps applied when saved.
    public var step: Int
    /// Algorithm that produced it (grao, grpo, dpo, sft).
    public var objective: String
    /// Trainer settings (mode, optimizer, schedule, clipping, micro-batching).
    public var trainer: TrainerConfig
    /// Free-form hyper-parameters of the objective and run (beta, lambda, group size, ...).
    public var hyperParameters: [String: String]
    /// Tensor file name and its sha256 (corruption check); the same for the optional optimizer state.
    public var tensorFile: String
    public var tensorSHA256: String
    public var optimizerFile: String?
    public var optimizerSHA256: String?

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", kind, baseModelSHA256 = "base_model_sha256", step, objective, trainer
        case hyperParameters = "hyper_parameters", tensorFile = "tensor_file", tensorSHA256 = "tensor_sha256"
        case optimizerFile = "optimizer_file", optimizerSHA256 = "optimizer_sha256"
    }
}

/// Saving and loading trainer state as a directory: tensors in safetensors (LoRA: `adapter_model.safetensors`
/// + `adapter_config.json`, loadable by PEFT; full: `model.safetensors`), `grao_checkpoint.json`, and
/// optionally `optimizer.safetensors`. Written atomically: files go into a temporary directory, each is
/// fsynced, and the directory is renamed into place; a failed load changes nothing.
public enum Checkpoint {
    public static let metadataFile = "grao_checkpoint.json"

    /// Writes `trainer`'s weights (or adapter) to `directory`, replacing an existing checkpoint there.
    public static func save(_ trainer: PolicyTrainer, to directory: String, objective: String, baseModelSHA256: String,
                            hyperParameters: [String: String] = [:], includeOptimizer: Bool = true) throws {
        let isLoRA = trainer.adapters != nil
        let tensorFile = isLoRA ? "adapter_model.safetensors" : "model.safetensors"
        var files: [(String, Data)] = []
        let tensorData = try SafeTensors.serialize(try exportTensors(trainer), metadata: ["format": "pt"])
        files.append((tensorFile, tensorData))
        if let adapters = trainer.adapters {
            files.append(("adapter_config.json", try PEFTAdapter.config(adapters.config)))
        }
        var optimizerHash: String?
        if includeOptimizer {
            let names = trainer.parameterTensors.map(\.name)
            var tensors: [SafeTensors.Tensor] = []
            for (i, name) in names.enumerated() {
                tensors.append(.init(name: "m." + name, shape: [trainer.optimizer.firstMoments[i].count],
                                     values: trainer.optimizer.firstMoments[i]))
                tensors.append(.init(name: "v." + name, shape: [trainer.optimizer.secondMoments[i].count],
                                     values: trainer.optimizer.secondMoments[i]))
            }
            let data = try SafeTensors.serialize(tensors, metadata: ["step": String(trainer.optimizer.step)])
            optimizerHash = SHA256.hex(of: data)
            files.append(("optimizer.safetensors", data))
        }
        let metadata = CheckpointMetadata(
            formatVersion: 1, kind: isLoRA ? "lora" : "full", baseModelSHA256: baseModelSHA256,
            step: trainer.optimizer.step, objective: objective, trainer: trainer.config, hyperParameters: hyperParameters,
            tensorFile: tensorFile, tensorSHA256: SHA256.hex(of: tensorData),
            optimizerFile: includeOptimizer ? "optimizer.safetensors" : nil, optimizerSHA256: optimizerHash)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        files.append((metadataFile, try encoder.encode(metadata)))
        try AtomicDirectory.write(files, to: directory)
    }

    /// Reads a checkpoint's metadata without loading tensors.
    public static func metadata(at directory: String) throws -> CheckpointMetadata {
        let path = (directory as NSString).appendingPathComponent(metadataFile)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlignmentError.invalidTraining("checkpoint '\(directory)': no \(metadataFile)")
        }
        let decoder = JSONDecoder()
        do { return try decoder.decode(CheckpointMetadata.self, from: data) } catch {
            throw AlignmentError.invalidTraining("checkpoint '\(directory)': unreadable \(metadataFile): \(error)")
        }
    }

    /// Loads `directory` into `trainer`. Everything is read and checked first (format, base model hash, kind,
    /// LoRA config, file hashes, every tensor's name and shape); only then are the live weights, adapters and
    /// (when `restoreOptimizer`) optimizer state overwritten. Any problem throws with the trainer untouched.
    @discardableResult
    public static func load(into trainer: PolicyTrainer, from directory: String, baseModelSHA256: String,
                            restoreOptimizer: Bool = true) throws -> CheckpointMetadata {
        func fail(_ why: String) -> AlignmentError { .invalidTraining("checkpoint '\(directory)': \(why)") }
        let meta = try metadata(at: directory)
        guard meta.formatVersion == 1 else { throw fail("format version \(meta.formatVersion) is not supported") }
        guard meta.baseModelSHA256 == baseModelSHA256 else {
            throw fail("made for base model sha256 \(meta.baseModelSHA256), this model is \(baseModelSHA256)")
        }
        let isLoRA = trainer.adapters != nil
        guard meta.kind == (isLoRA ? "lora" : "full") else {
            throw fail("holds a \(meta.kind) checkpoint, the trainer is \(isLoRA ? "lora" : "full")")
        }
        if let adapters = trainer.adapters, case .lora(let saved) = meta.trainer.mode, saved != adapters.config {
            throw fail("LoRA config (rank \(saved.rank), alpha \(saved.alpha), \(saved.targets.map(\.rawValue))) differs "
                + "from the trainer's (rank \(adapters.config.rank), alpha \(adapters.config.alpha), "
                + "\(adapters.config.targets.map(\.rawValue)))")
        }
        func read(_ name: String, hash: String?) throws -> Data {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { throw fail("missing \(name)") }
            if let hash, SHA256.hex(of: data) != hash { throw fail("\(name) is corrupt (sha256 mismatch)") }
            return data
        }
        let tensors = try SafeTensors.parse(read(meta.tensorFile, hash: meta.tensorSHA256)).tensors
        let staged = try importTensors(trainer, tensors, fail: fail)
        var moments: (step: Int, m: [[Float]], v: [[Float]])?
        if restoreOptimizer, let file = meta.optimizerFile {
            let (optimizerTensors, optimizerMeta) = try SafeTensors.parse(read(file, hash: meta.optimizerSHA256))
            guard let step = optimizerMeta["step"].flatMap(Int.init), step >= 0 else { throw fail("\(file) has no step") }
            var m: [[Float]] = [], v: [[Float]] = []
            for (i, t) in trainer.parameterTensors.enumerated() {
                guard let a = optimizerTensors["m." + t.name], let b = optimizerTensors["v." + t.name],
                      a.values.count == trainer.optimizer.firstMoments[i].count, b.values.count == a.values.count
                else { throw fail("\(file): moments of '\(t.name)' missing or mis-sized") }
                m.append(a.values)
                v.append(b.values)
            }
            moments = (step, m, v)
        }
        // Everything checked: commit.
        for (t, values) in zip(trainer.parameterTensors, staged) {
            values.withUnsafeBufferPointer { t.buffer.pointer.update(from: $0.baseAddress!, count: values.count) }
        }
        if let moments { try trainer.restoreOptimizer(step: moments.step, firstMoments: moments.m, secondMoments: moments.v) }
        try trainer.weightsChanged()
        return meta
    }

    /// Tensors as written: PEFT names and layout for adapters, our names ([out][in]) for full weights.
    static func exportTensors(_ trainer: PolicyTrainer) throws -> [SafeTensors.Tensor] {
        if let adapters = trainer.adapters { return PEFTAdapter.tensors(adapters, model: trainer.model.config) }
        return trainer.parameterTensors.map {
            SafeTensors.Tensor(name: $0.name + ".weight", shape: fullShape($0.name, trainer.model.config),
                               values: $0.buffer.array)
        }
    }

    /// Values for every trainable tensor, in `parameterTensors` order, from a parsed file; or why not.
    static func importTensors(_ trainer: PolicyTrainer, _ tensors: [String: SafeTensors.Tensor],
                              fail: (String) -> AlignmentError) throws -> [[Float]] {
        if let adapters = trainer.adapters {
            return try PEFTAdapter.values(from: tensors, for: adapters, model: trainer.model.config, fail: fail)
        }
        var out: [[Float]] = []
        for t in trainer.parameterTensors {
            let shape = fullShape(t.name, trainer.model.config)
            guard let found = tensors[t.name + ".weight"] else { throw fail("tensor '\(t.name).weight' missing") }
            guard found.shape == shape else { throw fail("tensor '\(t.name).weight' has shape \(found.shape), expected \(shape)") }
            out.append(found.values)
        }
        if tensors.count != out.count { throw fail("\(tensors.count - out.count) unexpected tensors") }
        return out
    }

    /// [out, in] (or [n]) of a full-model tensor by our name.
    static func fullShape(_ name: String, _ cfg: LlamaConfig) -> [Int] {
        let c = cfg.width
        switch name.split(separator: ".").last.map(String.init) ?? name {
        case "token_embd", "output": return [cfg.vocabSize, c]
        case "qkv": return [cfg.qkvWidth, c]
        case "attn_output": return [c, cfg.queryWidth]
        case "gate_up": return [2 * cfg.ffnWidth, c]
        case "ffn_down": return [c, cfg.ffnWidth]
        default: return [c]
        }
    }
}
