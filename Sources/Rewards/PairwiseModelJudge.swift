/// A language model as a pairwise judge, in the GRAO paper's format: the candidate (Text 1) against the reference
/// (Text 2) under a rubric, verdict +1 (candidate better), 0 (tie) or -1 (worse). Nothing is sampled: the judge
/// asks its scorer for the log-likelihood of each of the three verdict answers as the reply to the rubric and
/// takes the most likely one (a win must lead by `minMargin`, else it is a tie), so the same item always gets the
/// same verdict.
///
/// The paper always puts the candidate first. A model may prefer an answer for its position; with `bothOrders`
/// the judge also asks with the texts swapped and averages each verdict's log-likelihood over the two orders
/// (read from the candidate's side), which cancels a pure position preference at twice the cost.
public struct PairwiseModelJudge: RewardModel {
    /// The three answers the rubric asks the model to choose from, from Text 1's side.
    public struct Verdicts: Sendable, Equatable {
        /// Text 1 is better: verdict +1 for the candidate in the paper's order.
        public var better: String
        /// The texts are equally good: verdict 0.
        public var tie: String
        /// Text 2 is better: verdict -1 for the candidate in the paper's order.
        public var worse: String

        /// The paper's answers: `1 > 2`, `1 = 2`, `1 < 2`. They have the same shape, so their token counts match
        /// and summed log-likelihoods compare fairly (the choice is made at the comparison sign).
        public static let paper = Verdicts(better: "1 > 2", tie: "1 = 2", worse: "1 < 2")

        /// Three answer strings.
        public init(better: String, tie: String, worse: String) {
            self.better = better
            self.tie = tie
            self.worse = worse
        }
    }

    /// Log-likelihoods of the three verdicts, from the candidate's side, and the verdict they give.
    public struct Decision: Sendable, Equatable {
        /// log P(candidate better), log P(tie), log P(candidate worse).
        public var better, tie, worse: Double
        /// How far (in nats) `better` or `worse` must beat both other answers to be the verdict.
        public var minMargin: Double

        /// The three log-likelihoods, from the candidate's side, and the margin a win needs.
        public init(better: Double, tie: Double, worse: Double, minMargin: Double = 0) {
            self.better = better
            self.tie = tie
            self.worse = worse
            self.minMargin = minMargin
        }

        /// +1 when `better` beats both others by more than `minMargin`, -1 when `worse` does, else 0. Near-equal
        /// top values fall back to the tie, so the rule is symmetric (swapping the texts negates the verdict) and
        /// a difference within the scorer's rounding cannot decide.
        public var verdict: Int {
            if better > tie + minMargin && better > worse + minMargin { return 1 }
            if worse > tie + minMargin && worse > better + minMargin { return -1 }
            return 0
        }

        /// How decisive the verdict is: the winner's log-likelihood minus the runner-up's (0 when the verdict is a
        /// tie only because the top two are within `minMargin`).
        public var margin: Double {
            switch verdict {
            case 1: return better - max(tie, worse)
            case -1: return worse - max(tie, better)
            default: return max(0, tie - max(better, worse))
            }
        }

        /// The same question asked with the texts swapped: Text 1 "better" then means the candidate is worse.
        var swapped: Decision { Decision(better: worse, tie: tie, worse: better, minMargin: minMargin) }

        /// Each verdict's log-likelihood averaged over two decisions (a geometric mean of the probabilities).
        static func average(_ a: Decision, _ b: Decision) -> Decision {
            Decision(better: (a.better + b.better) / 2, tie: (a.tie + b.tie) / 2, worse: (a.worse + b.worse) / 2,
                     minMargin: a.minMargin)
        }
    }

    /// The default `minMargin`: 1e-4 nats, well above the scorer's rounding and far below any real preference.
    public static let defaultMinMargin = 1e-4

    /// The default rubric: the paper's three-part layout (context, Text 1, Text 2) and answer format, in our words.
    public static let defaultRubric = """
        You compare two answers to the same request and judge which one is more helpful, correct and honest.

        [Context]
        {{prompt}}

        [Text 1]
        {{completion}}

        [Text 2]
        {{reference}}

        Reply with exactly one of: "1 > 2" if Text 1 is better, "1 = 2" if they are equally good, \
        "1 < 2" if Text 2 is better.
        """

    /// The spec's `name` (default `model_judge`), for logs and component names.
    public let name: String
    /// The judge prompt over `{{prompt}}`, `{{completion}}` (Text 1) and `{{reference}}` (Text 2).
    public let rubric: String
    /// The answers whose likelihoods decide the verdict.
    public let verdicts: Verdicts
    /// Also judge with the texts swapped and average (see the type's comment).
    public let bothOrders: Bool
    /// A candidate equal to its reference (after trimming whitespace) is a tie without asking the model, as the
    /// paper's R(y, y) = 0 assumes; the GRAO step scores the reference against itself every time.
    public let identicalIsTie: Bool
    /// The margin (nats) a win needs over both other verdicts, so that f32 rounding in the scorer (about 1e-6 between
    /// batchings) never turns a tie into a win.
    public let minMargin: Double
    /// The model's likelihoods (for callers that report its work, e.g. `grao score --summary`).
    public let scorer: any CompletionLikelihoodScorer

    /// A judge over `scorer`; the spec type `model_judge` builds one from JSON.
    public init(name: String = "model_judge", rubric: String = PairwiseModelJudge.defaultRubric,
                verdicts: Verdicts = .paper, bothOrders: Bool = false, identicalIsTie: Bool = true,
                minMargin: Double = PairwiseModelJudge.defaultMinMargin, scorer: any CompletionLikelihoodScorer) {
        self.name = name
        self.rubric = rubric
        self.verdicts = verdicts
        self.bothOrders = bothOrders
        self.identicalIsTie = identicalIsTie
        self.minMargin = minMargin
        self.scorer = scorer
    }

    /// The queries for one item: the three verdicts after the rubric, then (with `bothOrders`) after the rubric
    /// with the texts swapped.
    func queries(for item: RewardItem) -> [LikelihoodQuery] {
        var prompts = [OpenAIChatWire.render(rubric, item)]
        if bothOrders {
            let swapped = RewardItem(prompt: item.prompt, completion: item.reference ?? "", reference: item.completion)
            prompts.append(OpenAIChatWire.render(rubric, swapped))
        }
        return prompts.flatMap { p in
            [verdicts.better, verdicts.tie, verdicts.worse].map { LikelihoodQuery(prompt: p, continuation: $0) }
        }
    }

    /// The outcome for one item from its queries' log-likelihoods (3, or 6 with `bothOrders`).
    func outcome(_ values: ArraySlice<Double>) -> RewardOutcome {
        guard values.allSatisfy(\.isFinite) else {
            return .failure(RewardFailure(.invalidReply, "the model scorer returned a non-finite log-likelihood"))
        }
        let v = Array(values)
        let forward = Decision(better: v[0], tie: v[1], worse: v[2], minMargin: minMargin)
        var components: [String: Double] = [:]
        var decision = forward
        if bothOrders {
            let swapped = Decision(better: v[3], tie: v[4], worse: v[5], minMargin: minMargin).swapped
            decision = .average(forward, swapped)
            components["forward_verdict"] = Double(forward.verdict)
            components["swapped_verdict"] = Double(swapped.verdict)
        }
        components["logp_better"] = decision.better
        components["logp_tie"] = decision.tie
        components["logp_worse"] = decision.worse
        components["margin"] = decision.margin
        return .score(RewardScore(Double(decision.verdict), components: components))
    }
}
