// Placeholder: the HTTP module is being written; see the open issues.
