import HTTP

extension APIServer {
    /// `/healthz` (the process answers), `/readyz` (the model is loaded) and `/metrics` (Prometheus text). All
    /// three run inline on the event loop and read only locked counters: they answer in microseconds even while
    /// the engine is in the middle of a training step, and need no key (probes and scrapers have none).
    func registerHealthRoutes(_ routes: inout APIRoutes) {
        let healthy = HTTPResponse.json(#"{"status":"ok"}"#)
        routes.addInline(.GET, "/healthz") { _ in healthy }
        let engine = engine
        routes.addInline(.GET, "/readyz") { _ in
            switch engine.status {
            case .ready: return .json(#"{"status":"ready"}"#)
            case .loading: return HTTPResponse(error: HTTPError(.serviceUnavailable, code: "model_loading",
                                                                message: "the model is still loading", headers: ["Retry-After": "2"]))
            case .failed(let reason): return HTTPResponse(error: HTTPError(.serviceUnavailable, code: "model_failed",
                                                                           message: "the model failed to load: \(reason)"))
            case .stopped: return HTTPResponse(error: HTTPError(.serviceUnavailable, code: "stopping", message: "the server is shutting down"))
            }
        }
        let registry = metrics.registry
        routes.addInline(.GET, "/metrics") { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                         body: .bytes(Array(registry.render().utf8)))
        }
    }
}
