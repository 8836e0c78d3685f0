import Foundation

/// A tiny softmax policy with one independent categorical per position: log π(s_t) = θ[t][s_t] − logsumexp(θ[t]).
/// It has a closed-form gradient, so objective tests can take real steps without the language model.
struct ToyPolicy {
    var logits: [[Double]]  // [positions][vocabulary]

    init(positions: Int, vocabulary: Int, seed: UInt64) {
        var state = seed
        func next() -> Double {  // SplitMix64, so the test is reproducible
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) - 0.5
        }
        logits = (0..<positions).map { _ in (0..<vocabulary).map { _ in next() } }
    }

    func logProbs(_ tokens: [Int]) -> [Float] {
        tokens.enumerated().map { t, v in
            let row = logits[t]
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            return Float(row[v] - lse)
        }
    }

    /// θ −= lr · dL/dθ, with dL/dθ[t][v] = Σ_sequences w_t (1[v = s_t] − softmax(θ[t])[v]).
    mutating func descend(sequences: [[Int]], tokenWeights: [[Float]], learningRate: Double) {
        var grad = logits.map { $0.map { _ in 0.0 } }
        for (s, tokens) in sequences.enumerated() {
            for (t, v) in tokens.enumerated() {
                let row = logits[t]
                let m = row.max()!
                let z = row.reduce(0) { $0 + exp($1 - m) }
                let w = Double(tokenWeights[s][t])
                for u in row.indices { grad[t][u] -= w * exp(row[u] - m) / z }
                grad[t][v] += w
            }
        }
        for t in logits.indices { for u in logits[t].indices { logits[t][u] -= learningRate * grad[t][u] } }
    }
}
