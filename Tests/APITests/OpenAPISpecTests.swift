import Foundation
import HTTP
import Testing
@testable import API

/// openapi.yaml and the server agree: the (method, path) pairs the server registers are exactly the operations
/// the spec lists. The YAML is read minimally (the file keeps the layout this parser expects: paths at two
/// spaces, methods at four, under a top-level `paths:`); CI's openapi-spec-validator checks the rest.
@Suite struct OpenAPISpecTests {
    static var specURL: URL {
        // Tests/APITests/OpenAPISpecTests.swift -> the package root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml")
    }

    /// "METHOD /path" for every operation under `paths:`.
    static func specOperations(_ text: String) -> Set<String> {
        var operations = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inPaths = line == "paths:"
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && !line.hasPrefix("   ") && line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    ") && !line.hasPrefix("     ") && line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(method) { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func registeredRoutesAndSpecPathsAreTheSameSet() throws {
        let text = try String(contentsOf: Self.specURL, encoding: .utf8)
        let spec = Self.specOperations(text)
        let api = try APIServer.tiny()
        defer { api.engine.stop() }
        let served = Set(api.makeRoutes().registered.map { "\($0.method.rawValue) \($0.pattern)" })
        #expect(served.subtracting(spec).sorted() == [], "served but not in openapi.yaml")
        #expect(spec.subtracting(served).sorted() == [], "in openapi.yaml but not served")
        #expect(spec.contains("POST /v1/generate"))
    }

    @Test func theMinimalParserFindsOperations() {
        let yaml = """
            openapi: 3.1.0
            paths:
              # comment
              /a:
                get:
                  summary: x
                post:
                  responses:
                    "200":
                      description: y
              /b/{id}:
                delete:
                  summary: z
            components:
              schemas:
                get:
                  type: object
            """
        #expect(Self.specOperations(yaml) == ["GET /a", "POST /a", "DELETE /b/{id}"])
    }
}
