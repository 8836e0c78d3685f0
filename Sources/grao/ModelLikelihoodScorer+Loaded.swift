import API
import Llama
import Tokenization

extension ModelLikelihoodScorer {
    /// A scorer over what `ModelOptions.loadModel()` loaded, with the file's chat template (`grao score`,
    /// `grao train`: the command is the model's only user, so the scorer's own queue runs the work).
    convenience init(loaded: LoadedModel) throws {
        let template: ChatTemplate
        do { template = try ChatTemplate(gguf: loaded.file) } catch { throw ScorerError(description: "chat template: \(error)") }
        self.init(model: loaded.model, tokenizer: loaded.tokenizer, template: template)
    }
}
