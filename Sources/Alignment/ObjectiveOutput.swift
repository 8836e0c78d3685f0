/// What an objective returns for one item: its loss contribution, the gradient of that loss with respect to
/// every input token log-probability (the model's backward pass starts from these), and named terms to report.
public struct ObjectiveOutput: Sendable, Equatable {
    /// This item's contribution to the step loss, already multiplied by the step's scale (1 / items in the step),
    /// so that contributions from any split into micro-batches add up to the same total.
    public var loss: Double
    /// dLoss/d(log π(token)), one array per input sequence, shaped exactly like the input log-prob arrays.
    public var tokenWeights: [[Float]]
    /// Named quantities for metrics (scaled like `loss` where they are loss terms, so they also add up).
    public var terms: [String: Double]

    public init(loss: Double, tokenWeights: [[Float]], terms: [String: Double] = [:]) {
        self.loss = loss
        self.tokenWeights = tokenWeights
        self.terms = terms
    }
}
