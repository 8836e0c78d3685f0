/// Sequence-level log-likelihoods from per-token log-probabilities of the completion tokens only
/// (prompt and padding already excluded by the caller; EOS included when it was generated).
public enum SequenceLikelihood {
    /// `l(s) = (1/|s|) Σ_t log π(s_t | q, s_<t)`: the length-normalized form GRAO and SFT use.
    /// An empty sequence has no likelihood to move; it is 0 and receives no gradient.
    public static func mean(_ tokenLogProbs: [Float]) -> Double {
        guard !tokenLogProbs.isEmpty else { return 0 }
        return sum(tokenLogProbs) / Double(tokenLogProbs.count)
    }

    /// `Σ_t log π(s_t | ...)`: the summed form DPO uses.
    public static func sum(_ tokenLogProbs: [Float]) -> Double {
        tokenLogProbs.reduce(0.0) { $0 + Double($1) }
    }

    /// Spreads dL/dl(s) over the tokens of a length-normalized likelihood: each token gets (dL/dl) / |s|.
    static func meanGradient(_ dLoss: Double, count: Int) -> [Float] {
        guard count > 0 else { return [] }
        return [Float](repeating: Float(dLoss / Double(count)), count: count)
    }
}
