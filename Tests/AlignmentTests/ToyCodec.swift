@testable import Alignment
import Tokenization

/// A codec for the tiny random models (vocabulary 61): token 1 starts a prompt, 2 ends a turn, and tokens
/// 3..<61 are the characters "0"..."i" one to one, so text survives a round trip within that alphabet.
struct ToyCodec: RolloutCodec {
    let endOfSequence: Set<Int> = [2]

    static func token(_ c: Unicode.Scalar) -> Int { 3 + Int((c.value + 5800 - 48) % 58) }

    func promptTokens(_ messages: [ChatMessage]) throws -> [Int] {
        [1] + messages.flatMap { $0.content.unicodeScalars.map(Self.token) }
    }

    func answerTokens(_ text: String) -> [Int] { text.unicodeScalars.map(Self.token) + [2] }

    func text(of tokens: [Int]) -> String {
        String(String.UnicodeScalarView(tokens.filter { $0 >= 3 }.map { Unicode.Scalar(UInt8(45 + $0)) }))
    }
}
