@testable import Alignment

/// Central finite differences of `loss` with respect to every token log-prob, compared with the analytic
/// token weights. Inputs are perturbed in Float (what the model produces), so the step is 1e-2 and the
/// tolerance relative to the weight's size; the objectives are evaluated in Double.
func expectTokenWeightsMatchFiniteDifferences(
    _ inputs: [[Float]], tolerance: Double = 2e-3,
    sourceLocation: SourceLocation = #_sourceLocation,
    evaluate: ([[Float]]) -> ObjectiveOutput
) {
    let analytic = evaluate(inputs).tokenWeights
    let h: Float = 1e-2
    for s in inputs.indices {
        for t in inputs[s].indices {
            var plus = inputs, minus = inputs
            plus[s][t] += h
            minus[s][t] -= h
            let numeric = (evaluate(plus).loss - evaluate(minus).loss) / Double(2 * h)
            let a = Double(analytic[s][t])
            let ok = abs(numeric - a) <= tolerance * max(1e-3, abs(a))
            #expect(ok, "sequence \(s) token \(t): analytic \(a), numeric \(numeric)", sourceLocation: sourceLocation)
        }
    }
}

import Testing
