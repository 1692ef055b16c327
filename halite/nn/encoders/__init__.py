"""Encoders turning per-constituent embeddings into contextual embeddings."""
