import HTTP
import Testing
@testable import API

/// Every way a body can be wrong becomes a 400 whose message names the field at fault.
@Suite struct JSONObjectReaderTests {
    func reader(_ text: String) throws -> JSONObjectReader { try JSONObjectReader.parse(Array(text.utf8)) }

    func error(_ body: () throws -> Void) -> HTTPError? {
        do { try body() } catch let error as HTTPError { return error } catch { Issue.record("not an HTTPError: \(error)") }
        return nil
    }

    @Test func malformedBodiesAreInvalidJSON() {
        for text in ["", "{", "[1,2]", "\"text\"", "{\"a\":}"] {
            let e = error { _ = try reader(text) }
            #expect(e?.status == .badRequest)
            #expect(e?.code == "invalid_json", "\(text)")
        }
    }

    @Test func typesAreCheckedAndNamed() throws {
        let r = try reader(#"{"n": "8", "t": true, "x": 2.5, "flag": 1, "list": "a", "big": 1e300}"#)
        #expect(error { _ = try r.optionalInt("n", in: 1...64) }?.message == "field 'n' must be an integer, got a string")
        #expect(error { _ = try r.optionalDouble("t") }?.message == "field 't' must be a number, got a boolean")
        #expect(error { _ = try r.optionalInt("x", in: 0...10) }?.message.contains("field 'x' must be an integer") == true)
        #expect(error { _ = try r.optionalBool("flag") }?.message == "field 'flag' must be true or false, got the number 1")
        #expect(error { _ = try r.optionalArray("list", maxCount: 4) }?.message == "field 'list' must be an array, got a string")
        #expect(error { _ = try r.optionalInt("big", in: 0...10) }?.message.contains("field 'big' must be in 0...10") == true)
    }

    @Test func rangesNameTheFieldAndTheValue() throws {
        let r = try reader(#"{"temperature": -1, "n": 0}"#)
        let t = error { _ = try r.optionalDouble("temperature", in: 0...2) }
        #expect(t?.message == "field 'temperature' must be in [0, 2], got -1")
        #expect(error { _ = try r.optionalInt("n", in: 1...64) }?.message == "field 'n' must be in 1...64, got 0")
    }

    @Test func integersMayBeWrittenWithAZeroFraction() throws {
        #expect(try reader(#"{"n": 2.0}"#).optionalInt("n", in: 1...4) == 2)
    }

    @Test func missingRequiredFieldsAndNullOptionalOnes() throws {
        let r = try reader(#"{"a": null}"#)
        #expect(try r.optionalString("a") == nil)
        let e = error { _ = try r.string("b") }
        #expect(e?.code == "missing_field")
        #expect(e?.message == "field 'b' is required")
    }

    @Test func unknownFieldsAreRefusedAtFinish() throws {
        let r = try reader(#"{"temperature": 1, "temprature": 1, "zz": 0}"#)
        _ = try r.optionalDouble("temperature")
        let e = error { try r.finish() }
        #expect(e?.code == "unknown_field")
        #expect(e?.message == "field 'temprature' is not a known field of this request (nor are 'zz')")
        r.ignore("temprature", "zz")
        try r.finish()
    }

    @Test func nestedObjectsCarryTheirPath() throws {
        let r = try reader(#"{"messages": [{"role": "user", "content": 5}]}"#)
        let messages = try #require(try r.optionalObjects("messages", maxCount: 4))
        #expect(error { _ = try messages[0].string("content") }?.message == "field 'messages[0].content' must be a string, got the number 5")
        let e = error { _ = try PromptInput.messages([["role": "user", "content": "hi", "extra": 1]], field: "messages") }
        #expect(e?.message == "field 'messages[0].extra' is not a known field of this request")
    }

    @Test func arraysAreBoundedBeforeUse() throws {
        let r = try reader(#"{"stop": ["a", "b", "c"]}"#)
        #expect(error { _ = try r.optionalStrings("stop", maxCount: 2) }?.message == "field 'stop' has 3 elements; at most 2 are allowed")
    }
}
