import Testing
@testable import API

@Suite struct APIModuleTests {
    @Test func routesLiveUnderV1() {
        #expect(APIModule.versionPrefix == "/v1")
    }
}
