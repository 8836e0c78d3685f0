import Foundation
import HTTP
import Llama

extension APIServer {
    /// `GET /v1/model` (what is loaded and how far it was trained) and `POST /v1/tokenize`.
    func registerModelRoutes(_ routes: inout APIRoutes) {
        routes.add(.GET, "/v1/model") { [self] _ in
            let info = try requireModel()
            let snapshot = engine.snapshot
            let c = info.config
            var adapter: [String: Any] = ["type": "none"]
            switch snapshot.mode {
            case .full: adapter = ["type": "full"]
            case .lora(let lora): adapter = ["type": "lora", "rank": lora.rank, "alpha": lora.alpha,
                                             "targets": lora.targets.map(\.rawValue)]
            case nil: break
            }
            return try JSONResponse.make([
                "name": info.name, "path": info.path,
                "architecture": ["family": "llama", "layers": c.layerCount, "width": c.width, "heads": c.headCount,
                                 "kv_heads": c.kvHeadCount, "head_dim": c.headDim, "ffn_width": c.ffnWidth,
                                 "vocab_size": c.vocabSize, "context_length": c.contextLength,
                                 "rope_base": Double(c.ropeBase), "tied_output": c.tiedOutput] as [String: Any],
                "parameter_count": c.parameterCount,
                "chat_template": info.chatTemplate != nil,
                "adapter": adapter, "step": snapshot.step,
                "checkpoint": snapshot.checkpoint ?? NSNull(),
                "uptime_seconds": Date().timeIntervalSince(started),
            ] as [String: Any])
        }

        routes.add(.POST, "/v1/tokenize") { [self] request in
            let info = try requireModel()
            let body = try JSONObjectReader.parse(request.body)
            let prompt = try PromptInput.read(body, info: info, limits: configuration.limits, allowMany: false)
            try body.finish()
            let ids = prompt[0].tokens
            return try JSONResponse.make([
                "tokens": ids, "count": ids.count,
                "pieces": ids.map { info.tokenizer.decode([$0]) },
                "context_length": info.config.contextLength,
            ] as [String: Any])
        }
    }
}
