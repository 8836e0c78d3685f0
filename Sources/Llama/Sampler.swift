import Foundation
import LinearAlgebra

/// How to turn logits into a token. Defaults: temperature 0.7, no truncation.
public struct SamplingParameters: Sendable, Equatable, Codable {
    /// Divides the logits; 0 means greedy (argmax, ties to the lowest id).
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 disables.
    public var topK: Int
    /// Keep the smallest most-likely set whose probability reaches topP (after top-k); 1 disables.
    public var topP: Float
    /// Keep tokens whose probability is at least minP times the most likely one's; 0 disables.
    public var minP: Float

    /// Parameters with the defaults named above.
    public init(temperature: Float = 0.7, topK: Int = 0, topP: Float = 1, minP: Float = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Refuses values outside their meaningful ranges, naming the field.
    public func validate() throws {
        if !(temperature.isFinite && temperature >= 0) {
            throw LlamaError.invalidRequest("temperature \(temperature) must be a finite number >= 0")
        }
        if topK < 0 { throw LlamaError.invalidRequest("top_k \(topK) must be >= 0") }
        if !(topP > 0 && topP <= 1) { throw LlamaError.invalidRequest("top_p \(topP) must be in (0, 1]") }
        if !(minP >= 0 && minP <= 1) { throw LlamaError.invalidRequest("min_p \(minP) must be in [0, 1]") }
    }
}

/// Draws tokens from a logits row. Stateless; the caller owns the random stream and a scratch array.
///
/// Order of operations: temperature scaling, then min-p (relative to the most likely token), top-k
/// and top-p on what is left, then one draw in proportion to the kept probabilities. Truncation never
/// sorts the whole vocabulary: it sorts only tokens above a probability threshold and lowers the
/// threshold (1e-3, 1e-6, ..., 0) until the kept set is provably inside that sorted part.
public enum Sampler {
    /// Returns the drawn token id.
    public static func sample(logits: UnsafePointer<Float>, count v: Int, parameters p: SamplingParameters,
                              random: inout SeededRandom, probabilities: inout [Float]) -> Int {
        if p.temperature == 0 { return argmax(logits, count: v) }
        if probabilities.count != v { probabilities = [Float](repeating: 0, count: v) }
        var maxLogit = -Float.infinity
        for i in 0..<v { maxLogit = max(maxLogit, logits[i]) }
        // Unnormalized probabilities relative to the most likely token (which gets exactly 1).
        var total = probabilities.withUnsafeMutableBufferPointer {
            VectorMath.expSum(logits, count: v, shift: maxLogit, scale: 1 / p.temperature, out: $0.baseAddress!)
        }
        if p.minP > 0 {
            total = 0
            for i in 0..<v {
                if probabilities[i] < p.minP { probabilities[i] = 0 }
                total += Double(probabilities[i])
            }
        }
        if p.topK == 0 && p.topP >= 1 {
            return draw(probabilities, indices: nil, total: total, random: &random)
        }
        var threshold: Float = 1e-3
        while true {
            var kept = (0..<v).filter { probabilities[$0] >= threshold && probabilities[$0] > 0 }
            kept.sort { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }
            let exhaustive = threshold == 0
            if p.topK > 0 && kept.count >= p.topK { kept.removeLast(kept.count - p.topK) }
            // The kept mass the nucleus is measured against: all survivors unless top-k cut the list.
            let cutByK = p.topK > 0 && kept.count == p.topK
            var mass: Double = 0
            for i in kept { mass += Double(probabilities[i]) }
            let reference = cutByK ? mass : total
            if p.topK > 0 && !cutByK && !exhaustive {
                // Fewer than k tokens above the threshold: the top-k mass is not known yet.
            } else if p.topP < 1 {
                var cumulative: Double = 0
                var end = kept.count
                for (n, i) in kept.enumerated() {
                    cumulative += Double(probabilities[i])
                    if cumulative >= Double(p.topP) * reference { end = n + 1; break }
                }
                if end < kept.count || cumulative >= Double(p.topP) * reference || exhaustive {
                    kept.removeLast(kept.count - end)
                    var keptMass: Double = 0
                    for i in kept { keptMass += Double(probabilities[i]) }
                    return draw(probabilities, indices: kept, total: keptMass, random: &random)
                }
            } else if cutByK || exhaustive {
                return draw(probabilities, indices: kept, total: mass, random: &random)
            }
            threshold = threshold > 1e-12 ? threshold * 1e-3 : 0
        }
    }

    /// Index of the largest logit, lowest index on ties.
    public static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<max(count, 1) where logits[i] > logits[best] { best = i }
        return best
    }

    /// One draw in proportion to `probabilities` over `indices` (or all), whose sum is `total`.
    private static func draw(_ probabilities: [Float], indices: [Int]?, total: Double,
                             random: inout SeededRandom) -> Int {
        let target = random.nextUnit() * total
        var cumulative: Double = 0
        var last = 0
        if let indices {
            for i in indices {
                cumulative += Double(probabilities[i])
                last = i
                if cumulative > target { return i }
            }
        } else {
            for i in probabilities.indices where probabilities[i] > 0 {
                cumulative += Double(probabilities[i])
                last = i
                if cumulative > target { return i }
            }
        }
        return last  // rounding left the target at the very end
    }
}
