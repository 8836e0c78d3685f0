/// Reads a JSON reward spec (docs/rewards.md) and builds the reward it describes. The same spec is used by the
/// CLI, the HTTP API and run configs. Every error names the JSON path of the field at fault.
public enum RewardSpec {
    /// Spec types understood by this build.
    public static let types = ["string_check", "numeric_match", "regex", "length", "json_valid", "text_similarity",
                               "repetition_penalty", "multi", "score_model", "model_judge"]

    /// Parses spec text (JSON) and builds the reward.
    public static func makeReward(json text: String, context: RewardContext) throws -> any RewardModel {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw RewardError.invalidSpec(path: "$", message: "not valid JSON")
        }
        return try makeReward(value, context: context)
    }

    /// Builds the reward a parsed spec describes.
    public static func makeReward(_ spec: JSONValue, context: RewardContext, path: String = "$") throws -> any RewardModel {
        var o = try SpecObject(spec, path: path)
        let type = try o.oneOf("type", types)
        let name = try o.string("name") ?? type
        let model: any RewardModel
        switch type {
        case "string_check": model = try StringCheckReward(spec: &o, name: name)
        case "numeric_match": model = try NumericMatchReward(spec: &o, name: name)
        case "regex": model = try RegexReward(spec: &o, name: name)
        case "length": model = try LengthReward(spec: &o, name: name)
        case "json_valid": model = try JSONValidityReward(spec: &o, name: name)
        case "text_similarity": model = try TextSimilarityReward(spec: &o, name: name)
        case "repetition_penalty": model = try RepetitionPenaltyReward(spec: &o, name: name)
        case "multi": model = try makeMulti(&o, name: name, context: context)
        case "model_judge": model = try makeModelJudge(&o, name: name, context: context)
        default: model = try makeRemote(&o, name: name, context: context)
        }
        try o.finish()
        return model
    }

    private static func makeMulti(_ o: inout SpecObject, name: String, context: RewardContext) throws -> MultiReward {
        guard let graders = try o.object("graders"), !graders.isEmpty else {
            throw o.fail("graders", "required: an object of named sub-rewards")
        }
        var parts: [(name: String, model: any RewardModel)] = []
        for key in graders.keys.sorted() {
            guard key.first.map({ $0.isLetter || $0 == "_" }) == true,
                  key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw RewardError.invalidSpec(path: o.pathOf("graders") + ".\(key)",
                                              message: "grader names must be identifiers (letters, digits, _)")
            }
            parts.append((key, try makeReward(graders[key]!, context: context, path: o.pathOf("graders") + ".\(key)")))
        }
        let weights = try o.object("weights")
        let formulaText = try o.string("calculate_output")
        switch (weights, formulaText) {
        case (nil, nil), (.some, .some):
            throw o.fail("weights", "give exactly one of weights or calculate_output")
        case (let w?, nil):
            var table: [String: Double] = [:]
            for (k, v) in w {
                guard graders[k] != nil else { throw o.fail("weights", "\"\(k)\" is not a grader") }
                guard case .number(let d) = v, d.isFinite else {
                    throw RewardError.invalidSpec(path: o.pathOf("weights") + ".\(k)", message: "expected a finite number")
                }
                table[k] = d
            }
            for k in graders.keys where table[k] == nil {
                throw o.fail("weights", "no weight for grader \"\(k)\"")
            }
            return MultiReward(name: name, parts: parts, combination: .weights(table))
        case (nil, let text?):
            let formula: Formula
            do { formula = try Formula.parse(text) } catch let e as Formula.ParseError {
                throw o.fail("calculate_output", e.message)
            }
            for v in formula.variables.sorted() where graders[v] == nil {
                throw o.fail("calculate_output", "\"\(v)\" is not a grader")
            }
            return MultiReward(name: name, parts: parts, combination: .formula(formula))
        }
    }
}
