"""What a release is: its layout and table files (`write`, `read`), the descriptor, the
dataset card, checksums, dataset metadata, versions, schema changes and the diff between
two releases. Knows the contract, never how inputs are read or how a build runs."""
