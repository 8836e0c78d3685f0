extension RewardModel {
    /// The remote judges this reward calls: itself when it is one, or those inside a composite's parts (each judge
    /// once, in part order). Callers read their `statistics` to report judge calls, failures and cache hits (the
    /// API's `/metrics`) without knowing how a reward is put together.
    public var remoteJudges: [RemoteJudge] {
        var found: [RemoteJudge] = []
        collectRemoteJudges(into: &found)
        return found
    }

    private func collectRemoteJudges(into found: inout [RemoteJudge]) {
        if let judge = self as? RemoteJudge {
            if !found.contains(where: { $0 === judge }) { found.append(judge) }
        } else if let multi = self as? MultiReward {
            for part in multi.parts { part.model.collectRemoteJudges(into: &found) }
        }
    }
}
