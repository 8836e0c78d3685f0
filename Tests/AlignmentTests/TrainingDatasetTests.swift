import Foundation
import Testing
@testable import Alignment

/// The offline trainer's JSONL reader: both item shapes, and every malformed line refused with its number.
@Suite struct TrainingDatasetTests {
    static func parse(_ text: String, rejected: Bool = false) throws -> [TrainingExample] {
        try TrainingDataset.parse(Data(text.utf8), name: "d.jsonl", requireReference: true, requireRejected: rejected)
    }

    @Test func readsPromptsAndMessages() throws {
        let examples = try Self.parse("""
            {"prompt": "2+2?", "reference": "4"}

            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "reference": "Hello", "rejected": "Go away"}
            """)
        #expect(examples.count == 2)
        #expect(examples[0].messages.map(\.role) == ["user"] && examples[0].reference == "4" && examples[0].line == 1)
        #expect(examples[1].messages.count == 2 && examples[1].rejected == "Go away" && examples[1].line == 3)
    }

    @Test(arguments: [
        ("{\"prompt\": \"a\", \"reference\": \"b\"}\nnot json", "d.jsonl:2: not a JSON object"),
        ("{\"reference\": \"b\"}", "d.jsonl:1: needs \"prompt\" or \"messages\""),
        ("{\"prompt\": \"a\"}", "d.jsonl:1: missing \"reference\""),
        ("{\"prompt\": \"a\", \"reference\": 3}", "d.jsonl:1: \"reference\" must be a non-empty string"),
        ("{\"prompt\": \"a\", \"messages\": [], \"reference\": \"b\"}", "d.jsonl:1: needs exactly one of \"prompt\" (a string) or \"messages\" (an array)"),
        ("{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}], \"reference\": \"b\"}", "d.jsonl:1: messages[0] needs \"role\" (system, user or assistant) and string \"content\""),
        ("{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}], \"reference\": \"b\"}", "d.jsonl:1: the last message must be from the user"),
        ("{\"prompt\": \"a\", \"reference\": \"b\", \"extra\": 1}", "d.jsonl:1: unknown field 'extra'"),
        ("{\"prompt\": \"a\", \"reference\": \"b\", \"metadata\": 1}", "d.jsonl:1: \"metadata\" must be an object"),
        ("", "d.jsonl: no examples"),
    ])
    func refusesMalformedLines(text: String, message: String) {
        #expect(throws: TrainingDataError(message)) { try Self.parse(text) }
    }

    @Test func metadataIsKeptAsStrings() throws {
        let examples = try Self.parse("{\"prompt\": \"a\", \"reference\": \"b\", \"metadata\": {\"task\": \"arithmetic\", \"n\": 3}}")
        #expect(examples[0].metadata == ["task": "arithmetic", "n": "3"])
        #expect(examples[0].promptText == "a")
    }

    @Test func dpoNeedsRejectedWhenAsked() {
        #expect(throws: TrainingDataError("d.jsonl:1: missing \"rejected\"")) {
            try Self.parse("{\"prompt\": \"a\", \"reference\": \"b\"}", rejected: true)
        }
    }
}
