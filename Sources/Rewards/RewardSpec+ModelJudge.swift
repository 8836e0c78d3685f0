extension RewardSpec {
    /// `model_judge`: the local model as a pairwise judge (`PairwiseModelJudge`). Needs the context's
    /// `likelihoodScorer`; the fields are checked first, so a wrong field is named even where no model is loaded.
    static func makeModelJudge(_ o: inout SpecObject, name: String, context: RewardContext) throws -> PairwiseModelJudge {
        let rubric = try o.string("rubric") ?? PairwiseModelJudge.defaultRubric
        let used = OpenAIChatWire.placeholdersUsed(in: rubric)
        for p in used where !OpenAIChatWire.placeholders.contains(p) {
            throw o.fail("rubric", "unknown placeholder {{\(p)}}; use {{prompt}}, {{completion}} or {{reference}}")
        }
        for p in ["completion", "reference"] where !used.contains(p) {
            throw o.fail("rubric", "must contain {{\(p)}}: the judge compares the completion with the reference")
        }
        var verdicts = PairwiseModelJudge.Verdicts.paper
        if let v = o.value("verdicts") {
            var vo = try SpecObject(v, path: o.pathOf("verdicts"))
            func answer(_ key: String) throws -> String {
                let s = try vo.requiredString(key)
                guard !s.allSatisfy(\.isWhitespace) else { throw vo.fail(key, "must not be blank") }
                guard s.count <= 200 else { throw vo.fail(key, "at most 200 characters (it is scored after every rubric)") }
                return s
            }
            verdicts = PairwiseModelJudge.Verdicts(better: try answer("better"), tie: try answer("tie"),
                                                   worse: try answer("worse"))
            try vo.finish()
            if verdicts.tie == verdicts.better || verdicts.tie == verdicts.worse {
                throw vo.fail("tie", "must differ from the other verdicts")
            }
            if verdicts.better == verdicts.worse { throw vo.fail("worse", "must differ from \"better\"") }
        }
        let bothOrders = try o.bool("both_orders", default: false)
        let identicalIsTie = try o.bool("identical_is_tie", default: true)
        let minMargin = try o.number("min_margin", default: PairwiseModelJudge.defaultMinMargin, min: 0, max: 100)
        guard let scorer = context.likelihoodScorer else {
            throw o.fail("type", "model_judge needs the local model, and none is loaded here (grao score: --model)")
        }
        return PairwiseModelJudge(name: name, rubric: rubric, verdicts: verdicts, bothOrders: bothOrders,
                                  identicalIsTie: identicalIsTie, minMargin: minMargin, scorer: scorer)
    }

    /// Whether building `text` would need `RewardContext.likelihoodScorer` (a `model_judge`, at the top or inside
    /// a `multi`), so a caller loads the model only when a spec needs it. Invalid JSON answers false: building
    /// the spec then reports the error.
    public static func needsLikelihoodScorer(json text: String) -> Bool {
        guard let value = try? JSONValue.parse(text) else { return false }
        return needsLikelihoodScorer(value)
    }

    /// The same question for a parsed spec.
    public static func needsLikelihoodScorer(_ spec: JSONValue) -> Bool {
        guard case .object(let o) = spec else { return false }
        if o["type"] == .string("model_judge") { return true }
        guard o["type"] == .string("multi"), case .object(let graders)? = o["graders"] else { return false }
        return graders.values.contains { needsLikelihoodScorer($0) }
    }
}
