import Foundation
import Llama

/// LoRA adapters in PEFT's on-disk layout, so an adapter trained here loads with
/// `PeftModel.from_pretrained(base, dir)` on the Hugging Face model: tensors named
/// `base_model.model.model.layers.{l}.self_attn.q_proj.lora_A.weight` ([r, in]) and `...lora_B.weight`
/// ([out, r]), and `adapter_config.json`. Our q/k output rows follow llama.cpp's interleaved-pair RoPE order;
/// Hugging Face's q_proj/k_proj use rotate-half order, so lora_B rows of q and k are permuted on the way out
/// and back on the way in.
public enum PEFTAdapter {
    /// PEFT tensor name of one adapter matrix.
    public static func name(layer: Int, target: LoRATarget, matrix: String) -> String {
        "base_model.model.model.layers.\(layer).\(target.moduleName).lora_\(matrix).weight"
    }

    /// Row `r` of our q/k output order -> its row in Hugging Face order (inverse of llama.cpp's permute).
    static func huggingFaceRow(_ row: Int, headDim hd: Int) -> Int {
        let head = row / hd, within = row % hd
        return head * hd + (within % 2) * (hd / 2) + within / 2
    }

    static func permutes(_ target: LoRATarget) -> Bool { target == .q || target == .k }

    /// Every adapter matrix, PEFT-named, in Hugging Face row order.
    static func tensors(_ adapters: LoRAAdapters, model cfg: LlamaConfig) -> [SafeTensors.Tensor] {
        var out: [SafeTensors.Tensor] = []
        let r = adapters.config.rank
        for (l, layer) in adapters.layers.enumerated() {
            for case let (t, m?) in layer.enumerated() {
                let target = LoRATarget.allCases[t], g = target.geometry(cfg)
                out.append(.init(name: name(layer: l, target: target, matrix: "A"), shape: [r, g.inputs], values: m.a.array))
                var b = m.b.array
                if permutes(target) {
                    let ours = b
                    for row in 0..<g.outputs {
                        let hf = huggingFaceRow(row, headDim: cfg.headDim)
                        for k in 0..<r { b[hf * r + k] = ours[row * r + k] }
                    }
                }
                out.append(.init(name: name(layer: l, target: target, matrix: "B"), shape: [g.outputs, r], values: b))
            }
        }
        return out
    }

    /// Values for `adapters.tensors` (A then B per adapted module, storage order) from PEFT-named tensors.
    static func values(from tensors: [String: SafeTensors.Tensor], for adapters: LoRAAdapters, model cfg: LlamaConfig,
                       fail: (String) -> AlignmentError) throws -> [[Float]] {
        var out: [[Float]] = []
        let r = adapters.config.rank
        for (l, layer) in adapters.layers.enumerated() {
            for case let (t, _?) in layer.enumerated() {
                let target = LoRATarget.allCases[t], g = target.geometry(cfg)
                for (matrix, shape) in [("A", [r, g.inputs]), ("B", [g.outputs, r])] {
                    let key = name(layer: l, target: target, matrix: matrix)
                    guard let found = tensors[key] else { throw fail("tensor '\(key)' missing") }
                    guard found.shape == shape else { throw fail("tensor '\(key)' has shape \(found.shape), expected \(shape)") }
                    var values = found.values
                    if matrix == "B" && permutes(target) {
                        for row in 0..<g.outputs {
                            let hf = huggingFaceRow(row, headDim: cfg.headDim)
                            for k in 0..<r { values[row * r + k] = found.values[hf * r + k] }
                        }
                    }
                    out.append(values)
                }
            }
        }
        if tensors.count != out.count { throw fail("\(tensors.count - out.count) unexpected tensors in the adapter") }
        return out
    }

    /// `adapter_config.json` as PEFT writes it for a causal-LM LoRA.
    static func config(_ lora: LoRAConfig) throws -> Data {
        let object: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": lora.rank, "lora_alpha": lora.alpha,
            "lora_dropout": lora.dropout, "target_modules": lora.targets.map { "\($0.rawValue)_proj" },
            "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
            "use_rslora": false, "use_dora": false, "modules_to_save": NSNull(),
            "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
