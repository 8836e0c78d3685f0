import Testing
@testable import API

@Suite struct APIKeyTests {
    let key = try! APIKey("0123456789abcdef-key\n")

    @Test func acceptsOnlyTheBearerKey() {
        #expect(key.accepts(authorization: "Bearer 0123456789abcdef-key"))
        #expect(key.accepts(authorization: "bearer 0123456789abcdef-key"))
        #expect(!key.accepts(authorization: nil))
        #expect(!key.accepts(authorization: "Bearer 0123456789abcdef-ke"))
        #expect(!key.accepts(authorization: "Bearer 0123456789abcdef-keyy"))
        #expect(!key.accepts(authorization: "Bearer 0123456789abcdef-kez"))
        #expect(!key.accepts(authorization: "Basic 0123456789abcdef-key"))
        #expect(!key.accepts(authorization: "0123456789abcdef-key"))
    }

    @Test func shortOrSpacedKeysAreRefused() {
        #expect(throws: APIKeyError.self) { try APIKey("short") }
        #expect(throws: APIKeyError.self) { try APIKey("0123456789 abcdef-key") }
    }
}
