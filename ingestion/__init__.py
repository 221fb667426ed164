"""The ingestion stage: keep the original, hash it, tell its type from its bytes, refuse bad input."""
