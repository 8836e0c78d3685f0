import Testing
@testable import Alignment

@Suite struct GroupAdvantagesTests {
    @Test func referenceInGroupUsesGPlusOneMembers() {
        // Members 1,0,0,0 and y=1: mean 0.4, population variance 0.24.
        let a = GroupAdvantages(sampleRewards: [1, 0, 0, 0], referenceReward: 1,
                                options: .init(referenceInGroup: true, epsilon: 0))
        let std = 0.24.squareRoot()
        #expect(abs(a.mean - 0.4) < 1e-12)
        #expect(abs(a.standardDeviation - std) < 1e-12)
        #expect(abs(a.samples[0]! - 0.6 / std) < 1e-12)
        #expect(abs(a.samples[1]! + 0.4 / std) < 1e-12)
        #expect(abs(a.reference! - 0.6 / std) < 1e-12)
        #expect(!a.isZeroVariance)
    }

    /// The paper's motivating case: every sample loses to y (r = −1, r_y = 0, G = 8) gives
    /// A_y = +√G and A_i = −1/√G, so the step imitates y exactly when the policy cannot do better.
    @Test func allSamplesLosingGivesRootGForReference() {
        let a = GroupAdvantages(sampleRewards: Array(repeating: -1, count: 8), referenceReward: 0,
                                options: .init(epsilon: 0))
        #expect(abs(a.reference! - 8.0.squareRoot()) < 1e-9)
        for s in a.samples { #expect(abs(s! + 1 / 8.0.squareRoot()) < 1e-9) }
    }

    @Test func referenceOutsideGroupIsScoredAgainstSampleStatistics() {
        let a = GroupAdvantages(sampleRewards: [1, 0], referenceReward: 1,
                                options: .init(referenceInGroup: false, epsilon: 0))
        #expect(abs(a.mean - 0.5) < 1e-12)
        #expect(abs(a.samples[0]! - 1) < 1e-12)
        #expect(abs(a.samples[1]! + 1) < 1e-12)
        #expect(abs(a.reference! - 1) < 1e-12)
    }

    @Test func tiedGroupIsZeroAndFlagged() {
        let a = GroupAdvantages(sampleRewards: [0.5, 0.5, 0.5], referenceReward: 0.5)
        #expect(a.isZeroVariance)
        #expect(a.samples.allSatisfy { $0 == 0 })
        #expect(a.reference == 0)
    }

    @Test func failedRewardsAreMaskedNotZeroed() {
        // If the failure were counted as 0, the mean would be 1/3 rather than 1/2.
        let a = GroupAdvantages(sampleRewards: [1, nil, 0], referenceReward: nil, options: .init(epsilon: 0))
        #expect(a.samples[1] == nil)
        #expect(abs(a.mean - 0.5) < 1e-12)
        #expect(a.reference == nil)
    }

    @Test func clipBoundsAdvantages() {
        let a = GroupAdvantages(sampleRewards: Array(repeating: -1, count: 8), referenceReward: 0,
                                options: .init(epsilon: 0, clip: 1.5))
        #expect(a.reference == 1.5)
    }
}
