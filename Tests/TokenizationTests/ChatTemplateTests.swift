import Testing
@testable import Tokenization

@Suite struct ChatTemplateTests {
    static let smolTemplate = """
        {% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
        You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
        ' }}{% endif %}{{'<|im_start|>' + message['role'] + '
        ' + message['content'] + '<|im_end|>' + '
        '}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
        ' }}{% endif %}
        """

    @Test func recognisesSmolLM2Template() throws {
        let t = try ChatTemplate(jinja: Self.smolTemplate)
        #expect(t.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        // The same template with `\n` escapes instead of raw newlines.
        let escaped = Self.smolTemplate.replacing("\n", with: "\\n")
        #expect(try ChatTemplate(jinja: escaped) == t)
    }

    @Test func rendersLikeTheJinjaTemplate() throws {
        let t = try ChatTemplate(jinja: Self.smolTemplate)
        let user = ChatMessage(role: "user", content: "Hi!")
        #expect(t.render([user], addGenerationPrompt: true) == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hi!<|im_end|>
            <|im_start|>assistant

            """)
        let system = ChatMessage(role: "system", content: "Be brief.")
        let reply = ChatMessage(role: "assistant", content: "Hello.")
        #expect(t.render([system, user, reply], addGenerationPrompt: false) == """
            <|im_start|>system
            Be brief.<|im_end|>
            <|im_start|>user
            Hi!<|im_end|>
            <|im_start|>assistant
            Hello.<|im_end|>

            """)
        // The template loops over nothing for an empty conversation.
        #expect(t.render([], addGenerationPrompt: true) == "<|im_start|>assistant\n")
    }

    @Test func refusesOtherTemplates() {
        let llama3 = "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}{% endfor %}"
        #expect(throws: TokenizationError.self) { try ChatTemplate(jinja: llama3) }
        #expect(throws: TokenizationError.self) { try ChatTemplate(jinja: "") }
        // ChatML markers but a different message block (e.g. stripping content) is not silently rendered.
        let variant = Self.smolTemplate.replacing("message['content']", with: "message['content'] | trim")
        #expect(throws: TokenizationError.self) { try ChatTemplate(jinja: variant) }
    }

    @Test(.enabled(if: RealVocabulary.isPresent, RealVocabulary.skipMessage))
    func realTemplateIsRecognised() throws {
        // The template tested above is the model's, byte for byte.
        #expect(try RealVocabulary.file.metadata.string("tokenizer.chat_template") == Self.smolTemplate)
        #expect(RealVocabulary.chatTemplate.defaultSystemMessage
                    == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
    }
}
