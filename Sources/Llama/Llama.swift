// Placeholder: the Llama module is being written; see the open issues.
