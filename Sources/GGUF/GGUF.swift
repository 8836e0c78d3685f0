// Placeholder: the GGUF module is being written; see the open issues.
