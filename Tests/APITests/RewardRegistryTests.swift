import Foundation
import HTTP
import Rewards
import Testing
@testable import API

@Suite struct RewardRegistryTests {
    static func spec(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func registrationsPersistAndReloadAfterRestart() async throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext())
        try registry.register(name: "exact", spec: Self.spec(#"{"type": "string_check", "operation": "eq"}"#))
        try registry.register(name: "num", spec: Self.spec(#"{"type": "numeric_match", "tolerance": 0.5}"#))
        #expect(dir.allFiles() == ["exact.json", "num.json"])  // no temporaries left

        let reopened = try RewardRegistry(directory: dir.path, context: testRewardContext())
        #expect(reopened.list().map(\.name) == ["exact", "num"])
        #expect(reopened.list().allSatisfy { $0.unavailableReason == nil })
        let reward = try reopened.reward(named: "num", path: "$.reward")
        #expect(reward.name == "num")  // results and metrics show the registered name
        let outcome = await reward.score([RewardItem(prompt: "p", completion: "it is 4.3", reference: "4")])
        #expect(outcome == [.score(RewardScore(1, components: ["found": 1, "value": 4.3]))])
    }

    @Test func badSpecsAreRefusedNamingTheFieldAndStoreNothing() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext())
        let cases: [(String, String)] = [
            (#"{"type": "string_check", "operation": "equals"}"#, "$.spec.operation"),
            (#"{"type": "numeric_match", "tolerence": 1}"#, "$.spec.tolerence"),
            (#"{"type": "nope"}"#, "$.spec.type"),
            (#"{"type": "multi", "graders": {"a": {"type": "regex"}}, "weights": {"a": 1}}"#, "$.spec.graders.a.pattern"),
            (#"{"type": "score_model", "protocol": "grao", "url": "ftp://x"}"#, "$.spec.url"),
        ]
        for (text, path) in cases {
            let error = httpError { try registry.register(name: "bad", spec: Self.spec(text)) }
            #expect(error?.status == .badRequest, "\(text)")
            #expect(error?.message.hasPrefix("field '\(path.dropFirst(2))':") == true, "\(text): \(error?.message ?? "no error")")
        }
        #expect(registry.list().isEmpty)
        #expect(dir.allFiles().isEmpty)
    }

    @Test func namesAreCheckedAndTakenNamesConflict() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext())
        let spec = try Self.spec(#"{"type": "json_valid"}"#)
        for name in ["", "../evil", "a/b", ".hidden", "-x", "numeric_match", String(repeating: "n", count: 65), "é"] {
            let error = httpError { try registry.register(name: name, spec: spec) }
            #expect(error?.status == .badRequest, "\(name)")
            #expect(error?.message.hasPrefix("field 'name':") == true)
        }
        try registry.register(name: "json.v1", spec: spec)
        #expect(httpError { try registry.register(name: "json.v1", spec: spec) }?.status == .conflict)
        try registry.remove(name: "json.v1")
        #expect(dir.allFiles().isEmpty)
        #expect(httpError { try registry.remove(name: "json.v1") }?.status == .notFound)
        try registry.register(name: "json.v1", spec: spec)
        #expect(try RewardRegistry(directory: dir.path, context: testRewardContext()).list().count == 1)
    }

    @Test func secretsStayEnvironmentReferences() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext(["JUDGE_AUTH": "Bearer s3cret"]))
        let inline = #"{"type": "score_model", "protocol": "grao", "url": "http://127.0.0.1:9/grao", "headers": {"Authorization": "Bearer s3cret"}}"#
        let error = httpError { try registry.register(name: "judge", spec: Self.spec(inline)) }
        #expect(error?.status == .badRequest)
        #expect(error?.message.hasPrefix("field 'spec.headers.Authorization':") == true)
        #expect(error?.message.contains("s3cret") == false)

        let userinfo = #"{"type": "score_model", "protocol": "grao", "url": "http://user:pw@127.0.0.1:9/grao"}"#
        #expect(httpError { try registry.register(name: "judge", spec: Self.spec(userinfo)) }?.message.hasPrefix("field 'spec.url':") == true)

        let byName = #"{"type": "score_model", "protocol": "grao", "url": "http://127.0.0.1:9/grao", "headers": {"Authorization": "env:JUDGE_AUTH"}}"#
        try registry.register(name: "judge", spec: Self.spec(byName))
        let stored = try String(contentsOfFile: dir.path + "/judge.json", encoding: .utf8)
        #expect(stored.contains("env:JUDGE_AUTH") && !stored.contains("s3cret"))

        // After a restart without the variable the registration is kept but unusable, with the reason.
        let reopened = try RewardRegistry(directory: dir.path, context: testRewardContext())
        #expect(reopened.list().first?.unavailableReason?.contains("JUDGE_AUTH") == true)
        let unusable = httpError { _ = try reopened.reward(named: "judge", path: "$.reward") }
        #expect(unusable?.status == .conflict)
    }

    @Test func judgeHostsCanBeLimited() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext(),
                                          allowedJudgeHosts: ["127.0.0.1", "JUDGE.internal", "::1"])
        for url in ["http://127.0.0.1:7000/grao", "https://judge.internal/x", "http://[::1]:8/grao"] {
            try registry.register(name: "ok\(registry.list().count)",
                                  spec: .object(["type": .string("score_model"), "protocol": .string("grao"), "url": .string(url)]))
        }
        let nested = #"{"type": "multi", "graders": {"j": {"type": "score_model", "protocol": "grao", "url": "http://evil.example:80/grao"}}, "weights": {"j": 1}}"#
        let error = httpError { try registry.register(name: "bad", spec: Self.spec(nested)) }
        #expect(error?.status == .forbidden)
        #expect(error?.message.hasPrefix("field 'spec.graders.j.url':") == true)
        // Inline specs in requests go through the same check.
        let inline = httpError { _ = try registry.resolve(Self.spec(#"{"type": "score_model", "protocol": "grao", "url": "http://10.0.0.1/grao"}"#), path: "$.reward") }
        #expect(inline?.status == .forbidden)
        #expect(inline?.message.hasPrefix("field 'reward.url':") == true)
    }

    @Test func resolveTakesNamesTypesAndInlineSpecs() async throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext())
        try registry.register(name: "contains", spec: Self.spec(#"{"type": "string_check", "operation": "like"}"#))
        let item = [RewardItem(prompt: "p", completion: "the answer is Paris", reference: "Paris")]
        #expect(try await registry.resolve(.string("contains"), path: "$.reward").score(item).first?.value == 1)
        #expect(try await registry.resolve(.string("json_valid"), path: "$.reward").score(item).first?.value == 0)
        #expect(try await registry.resolve(Self.spec(#"{"type": "regex", "pattern": "Par.s"}"#), path: "$.reward").score(item).first?.value == 1)
        let unknown = httpError { _ = try registry.resolve(.string("missing"), path: "$.reward") }
        #expect(unknown?.status == .badRequest)
        #expect(unknown?.message.hasPrefix("field 'reward':") == true && unknown?.message.contains("'missing'") == true)
        #expect(httpError { _ = try registry.resolve(.number(3), path: "$.reward") }?.status == .badRequest)
        // A built-in type whose spec needs fields names the missing one.
        #expect(httpError { _ = try registry.resolve(.string("regex"), path: "$.reward") }?.message.hasPrefix("field 'reward.pattern':") == true)
    }

    @Test func unreadableFilesAreListedNotFatal() throws {
        let dir = try ScratchDirectory()
        defer { dir.cleanup() }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: dir.path + "/broken.json"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: dir.path + "/.x.json.tmp-123"))
        let registry = try RewardRegistry(directory: dir.path, context: testRewardContext())
        #expect(registry.list().map(\.name) == ["broken"])
        #expect(registry.list().first?.unavailableReason?.contains("unreadable") == true)
        #expect(dir.allFiles() == ["broken.json"])  // the crashed writer's temporary is gone
        try registry.remove(name: "broken")
        #expect(dir.allFiles().isEmpty)
    }
}
