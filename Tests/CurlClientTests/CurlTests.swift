import Testing
@testable import CurlClient

@Suite struct CurlTests {
    /// The libcurl system library links and reports itself.
    @Test func versionNamesLibcurl() {
        #expect(Curl.version.hasPrefix("libcurl/"))
    }
}
