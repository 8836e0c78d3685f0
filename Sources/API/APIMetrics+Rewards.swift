import Rewards

extension APIMetrics {
    /// Records one server-side scoring (every route that computes rewards calls this: score, groups, train steps,
    /// runs and their evaluations): the mean of its scores as `grao_reward_mean{reward}`, and the calls, failures
    /// and cache hits of the remote judges inside the reward as `grao_judge_*{judge}`.
    func recordScoring(_ outcomes: [RewardOutcome], reward: any RewardModel) {
        let values = outcomes.compactMap(\.value)
        if !values.isEmpty { rewardMean.set(values.reduce(0, +) / Double(values.count), [reward.name]) }
        judgeFeed.record(reward.remoteJudges, into: self)
    }
}
