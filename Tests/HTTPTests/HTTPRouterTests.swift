import Testing
@testable import HTTP

@Suite struct HTTPRouterTests {
    private func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        router.addInline(.GET, "/healthz") { _ in .text("ok") }
        router.add(.GET, "/v1/runs/{id}") { _ in .text("run") }
        router.add(.POST, "/v1/runs/{id}/cancel") { _ in .text("cancel") }
        router.add(.GET, "/v1/runs/{id}/events") { _ in .text("events") }
        router.add(.DELETE, "/v1/rewards/{name}") { _ in .text("delete") }
        return router
    }

    @Test func literalAndPatternedRoutesMatch() {
        let router = makeRouter()
        guard case .found(.inline, let none) = router.match(.GET, path: "/healthz") else {
            Issue.record("literal route not found")
            return
        }
        #expect(none.isEmpty)
        guard case .found(.async, let parameters) = router.match(.GET, path: "/v1/runs/abc%20d/events") else {
            Issue.record("patterned route not found")
            return
        }
        #expect(parameters == ["id": "abc d"])
    }

    @Test func unknownPathsAre404() {
        let router = makeRouter()
        for path in ["/", "/healthz/", "/v1/runs", "/v1/runs/", "/v1/runs/1/other", "/v1/runs//events"] {
            guard case .notFound = router.match(.GET, path: path) else {
                Issue.record("\(path) should be 404")
                continue
            }
        }
    }

    @Test func wrongMethodIs405WithAllow() {
        let router = makeRouter()
        guard case .methodNotAllowed(let allowed) = router.match(.POST, path: "/healthz") else {
            Issue.record("POST /healthz should be 405")
            return
        }
        #expect(allowed == [.GET, .HEAD])
        guard case .methodNotAllowed(let cancelAllowed) = router.match(.GET, path: "/v1/runs/7/cancel") else {
            Issue.record("GET cancel should be 405")
            return
        }
        #expect(cancelAllowed == [.POST])
    }

    @Test func headFallsBackToGet() {
        guard case .found = makeRouter().match(.HEAD, path: "/v1/runs/1") else {
            Issue.record("HEAD should use the GET route")
            return
        }
    }

    @Test func queryItemsAreDecoded() throws {
        let request = HTTPRequest(method: .GET, target: "/x?a=1&b=hello+world&c=%41%42&flag&a=2")
        let items = try request.queryItems()
        #expect(items.map(\.name) == ["a", "b", "c", "flag", "a"])
        #expect(items.map(\.value) == ["1", "hello world", "AB", "", "2"])
        #expect(try request.queryValue("a") == "1")
        #expect(try request.queryValue("missing") == nil)
        #expect(throws: HTTPError.self) { try HTTPRequest(method: .GET, target: "/x?a=%4").queryItems() }
        #expect(try HTTPRequest(method: .GET, target: "/x").queryItems().isEmpty)
    }
}
