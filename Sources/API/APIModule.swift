/// The HTTP API of DESIGN.md §5: request and response types, handlers, the compute engine that owns the model,
/// and the server-side state (groups, runs, registered rewards, checkpoints). It sees HTTP and the model
/// engine; neither of those sees it.
public enum APIModule {
    /// The API version prefix every model route lives under.
    public static let versionPrefix = "/v1"
}
