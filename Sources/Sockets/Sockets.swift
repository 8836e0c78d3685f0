// Placeholder: the Sockets module is being written; see the open issues.
