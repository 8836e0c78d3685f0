import Testing
@testable import Llama

/// Renders token t as "<t>" so that stop strings can target exact token boundaries.
struct BracketDecoder: TokenTextDecoding {
    func text(of tokens: [Int]) -> String { tokens.map { "<\($0)>" }.joined() }
}

/// Group generation on a tiny model: determinism, consistency with teacher forcing, batching
/// independence and each finish reason.
@Suite struct GenerationTests {
    static let prompt = [4, 8, 15, 16, 23, 42]

    @Test func sameSeedSameSamplesAndLogProbsMatchScoring() throws {
        let model = try TinyModels.model()
        let request = GenerationRequest(prompt: Self.prompt, sampleCount: 4, maxTokens: 12,
                                        sampling: SamplingParameters(temperature: 1), seed: 3)
        let a = try model.generate([request], endOfSequence: [], decoder: BracketDecoder())[0]
        let b = try model.generate([request], endOfSequence: [], decoder: BracketDecoder())[0]
        #expect(a == b)
        #expect(Set(a.map(\.tokens)).count > 1, "temperature 1 over 61 tokens should give distinct samples")
        var other = request
        other.seed = 4
        #expect(try model.generate([other], endOfSequence: [])[0].map(\.tokens) != a.map(\.tokens))
        // The reported log-probs are the model's own (temperature 1): teacher forcing agrees.
        let scored = try model.completionLogProbs(a.map { ScoringPair(prompt: Self.prompt, completion: $0.tokens) })
        for (sample, reference) in zip(a, scored) {
            #expect(sample.tokens.count == 12 && sample.finishReason == .length)
            #expect(sample.text == BracketDecoder().text(of: sample.tokens))
            for (x, y) in zip(sample.logProbs, reference) { #expect(abs(x - y) < 1e-5) }
        }
    }

    @Test func groupsDecodeTogetherAsTheyWouldAlone() throws {
        let model = try TinyModels.model()
        let requests = [
            GenerationRequest(prompt: Self.prompt, sampleCount: 3, maxTokens: 9, sampling: .greedy),
            GenerationRequest(prompt: [1], sampleCount: 2, maxTokens: 5, sampling: SamplingParameters(temperature: 0.8, topK: 10), seed: 11),
            GenerationRequest(prompt: [60, 2, 2], sampleCount: 1, maxTokens: 7, sampling: SamplingParameters(temperature: 1.2, topP: 0.9), seed: 12),
        ]
        let together = try model.generate(requests, endOfSequence: [])
        for (request, group) in zip(requests, together) {
            #expect(group.map(\.tokens) == (try model.generate([request], endOfSequence: []))[0].map(\.tokens))
            #expect(group.count == request.sampleCount)
        }
        // Greedy samples of one prompt are identical.
        #expect(Set(together[0].map(\.tokens)).count == 1)
    }

    @Test func finishReasons() throws {
        let model = try TinyModels.model()
        let base = GenerationRequest(prompt: Self.prompt, sampleCount: 2, maxTokens: 10, sampling: .greedy)
        let free = try model.generate([base], endOfSequence: [], decoder: BracketDecoder())[0][0]
        #expect(free.finishReason == .length && free.tokens.count == 10)

        // EOS: declare the third greedy token an end-of-sequence id (if it did not occur earlier).
        let eos = free.tokens[2]
        let firstEOS = free.tokens.firstIndex(of: eos)!
        let ended = try model.generate([base], endOfSequence: [eos], decoder: BracketDecoder())[0]
        for sample in ended {
            #expect(sample.finishReason == .endOfSequence)
            #expect(sample.tokens == Array(free.tokens[...firstEOS]))
            #expect(sample.text == BracketDecoder().text(of: Array(free.tokens[..<firstEOS])))
        }

        // Stop string: the text of tokens 3 and 4; the text is cut before it, tokens keep the 4th.
        var stopped = base
        stopped.stop = ["nothing like this", BracketDecoder().text(of: Array(free.tokens[3...4]))]
        let cut = try model.generate([stopped], endOfSequence: [], decoder: BracketDecoder())[0][0]
        let firstMatch = BracketDecoder().text(of: free.tokens).range(of: stopped.stop[1])!.lowerBound
        #expect(cut.finishReason == .stopString)
        #expect(cut.text == String(BracketDecoder().text(of: free.tokens)[..<firstMatch]))
        #expect(cut.tokens.count <= 5 && cut.tokens == Array(free.tokens[..<cut.tokens.count]))

        // max tokens 1: a single token, finish length.
        var one = base
        one.maxTokens = 1
        #expect(try model.generate([one], endOfSequence: [])[0].allSatisfy { $0.tokens.count == 1 && $0.finishReason == .length })
    }

    @Test func refusesBadRequests() throws {
        let model = try TinyModels.model()
        let bad: [GenerationRequest] = [
            GenerationRequest(prompt: []),
            GenerationRequest(prompt: [1], sampleCount: 0),
            GenerationRequest(prompt: [1], maxTokens: 0),
            GenerationRequest(prompt: [1], maxTokens: 64),  // 1 + 64 > context 64
            GenerationRequest(prompt: [99]),
            GenerationRequest(prompt: [1], sampling: SamplingParameters(topP: 2)),
            GenerationRequest(prompt: [1], stop: ["x"]),  // no decoder
        ]
        for request in bad {
            #expect(throws: LlamaError.self) { try model.generate([request], endOfSequence: []) }
        }
    }
}
