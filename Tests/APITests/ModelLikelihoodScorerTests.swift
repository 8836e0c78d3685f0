import API
import Foundation
import GGUF
import Llama
import Rewards
import Testing
import Tokenization

/// The default rubric filled in for one item, as the judge sends it.
enum JudgePromptExample {
    static let text = PairwiseModelJudge.defaultRubric
        .replacing("{{prompt}}", with: "What is 2+2?").replacing("{{completion}}", with: "7")
        .replacing("{{reference}}", with: "4")
}

/// The real SmolLM2-135M behind the model judge. Disabled when models/SmolLM2-135M-Instruct.Q4_1.gguf is absent
/// (scripts/fetch-model.sh gets it; CI always has it). These tests pin what the judge must guarantee whatever the
/// model's taste: the scorer agrees with the Llama module's teacher-forced log-probabilities, verdicts are
/// deterministic and in {-1, 0, +1} with consistent components. They do not assert that a 135M model judges well.
@Suite(.serialized) struct ModelLikelihoodScorerTests {
    static let path = RealModelFile.path
    static let present = FileManager.default.fileExists(atPath: path)

    /// Loaded once for the suite (about 0.5 GB of f32 weights).
    static let scorer: ModelLikelihoodScorer? = {
        guard present, let file = try? GGUFFile(path: path), let model = try? LlamaModel(gguf: file),
              let tokenizer = try? BPETokenizer(gguf: file), let template = try? ChatTemplate(gguf: file) else { return nil }
        return ModelLikelihoodScorer(model: model, tokenizer: tokenizer, template: template)
    }()

    static let cases: [(name: String, item: RewardItem)] = [
        ("2+2: 4 vs 4", RewardItem(prompt: "What is 2+2?", completion: "4", reference: "4")),
        ("2+2: 7 vs 4", RewardItem(prompt: "What is 2+2?", completion: "7", reference: "4")),
        ("2+2: 4 vs 7", RewardItem(prompt: "What is 2+2?", completion: "4", reference: "7")),
        ("capital: Paris vs London", RewardItem(prompt: "What is the capital of France?",
                                                completion: "The capital of France is Paris.",
                                                reference: "The capital of France is London.")),
        ("capital: London vs Paris", RewardItem(prompt: "What is the capital of France?",
                                                completion: "The capital of France is London.",
                                                reference: "The capital of France is Paris.")),
    ]

    @Test(.enabled(if: present, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func prefixSharedScoresMatchTheModelsTeacherForcedLogProbs() async throws {
        let scorer = try #require(Self.scorer)
        let queries = ["Which is larger, 3 or 5?", "Say hello."].flatMap { p in
            ["1 > 2", "1 = 2", "1 < 2"].map { LikelihoodQuery(prompt: p, continuation: $0) }
        } + [LikelihoodQuery(prompt: "Say hello.", continuation: "Hello! How can I help you today?")]
        let before = scorer.statistics
        let shared = try await scorer.logLikelihoods(queries)
        let after = scorer.statistics
        let pairs = queries.map { ScoringPair(prompt: scorer.promptTokens($0.prompt),
                                              completion: scorer.continuationTokens($0.continuation)) }
        // Each distinct prompt is run once; continuations run from its cache.
        let promptTokens = pairs[0].prompt.count + pairs[3].prompt.count
        #expect(after.calls - before.calls == 1 && after.queries - before.queries == queries.count)
        #expect(after.fedTokens - before.fedTokens == promptTokens + pairs.reduce(0) { $0 + $1.completion.count - 1 })
        #expect(after.headRows - before.headRows == pairs.reduce(0) { $0 + $1.completion.count })
        let reference = try scorer.model.completionLogProbs(pairs).map { $0.reduce(0) { $0 + Double($1) } }
        // Both are f32 forward passes over the same tokens, batched differently (prefix cache vs whole
        // sequences), so they agree to f32 rounding: well under 1e-3 nats for sums of a few tokens.
        for (a, b) in zip(shared, reference) { #expect(abs(a - b) < 1e-3, "\(shared) vs \(reference)") }
        #expect(shared.allSatisfy { $0 < 0 && $0.isFinite })
        // The same queries in another batch (alone) give the same values up to the same rounding.
        let alone = try await scorer.logLikelihoods([queries[4]])
        #expect(abs(alone[0] - shared[4]) < 1e-3)
    }

    @Test(.enabled(if: present, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"), arguments: [false, true])
    func verdictsAreDeterministicAndWellFormed(bothOrders: Bool) async throws {
        let scorer = try #require(Self.scorer)
        let judge = PairwiseModelJudge(bothOrders: bothOrders, identicalIsTie: false, scorer: scorer)
        let items = Self.cases.map(\.item)
        let first = await judge.score(items)
        let second = await judge.score(items)
        #expect(first == second, "same input, same verdicts and components, bit for bit")
        if bothOrders {
            // Both orders make the judge antisymmetric: a against b is minus b against a (cases 1-2 and 3-4 are
            // mirror pairs), up to f32 rounding that min_margin absorbs.
            #expect(first[1].value == first[2].value.map { -$0 } && first[3].value == first[4].value.map { -$0 })
        }
        for ((name, item), outcome) in zip(Self.cases, first) {
            guard case .score(let s) = outcome else { Issue.record("\(name): \(outcome)"); continue }
            #expect([-1.0, 0, 1].contains(s.value))
            let logps = [s.components["logp_better"], s.components["logp_tie"], s.components["logp_worse"]].compactMap { $0 }
            #expect(logps.count == 3 && logps.allSatisfy { $0.isFinite && $0 < 0 })
            let decision = PairwiseModelJudge.Decision(better: logps[0], tie: logps[1], worse: logps[2],
                                                       minMargin: judge.minMargin)
            #expect(Double(decision.verdict) == s.value && s.components["margin"] == decision.margin)
            #expect(bothOrders == (s.components["forward_verdict"] != nil && s.components["swapped_verdict"] != nil))
            // Alone, in a batch of one, the item gets the same verdict (values agree to f32 rounding, ~1e-6,
            // and the judge's min_margin keeps such differences from deciding).
            let alone = await judge.score([item])[0]
            #expect(alone.value == s.value, "\(name) alone: \(alone)")
            print("model judge observed (both_orders \(bothOrders)) \(name): verdict \(s.value) components \(s.components.sorted { $0.key < $1.key })")
        }
    }

    @Test(.enabled(if: present, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    func controlTokensInTheMessageStayText() throws {
        let scorer = try #require(Self.scorer)
        let imEnd = scorer.tokenizer.encode("<|im_end|>", parseSpecial: true, addSpecialTokens: false)
        #expect(imEnd.count == 1)
        let plain = scorer.promptTokens("x").filter { $0 == imEnd[0] }.count
        #expect(scorer.promptTokens("x<|im_end|>y").filter { $0 == imEnd[0] }.count == plain)
        // For ordinary text the pieces tokenize as the whole rendered conversation does.
        let rubric = JudgePromptExample.text
        let whole = scorer.template.render([ChatMessage(role: "user", content: rubric)], addGenerationPrompt: true)
        #expect(scorer.promptTokens(rubric) == scorer.tokenizer.encode(whole, parseSpecial: true))
    }
}
