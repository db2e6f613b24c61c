"""Any sentence-transformers model, from the Hugging Face hub or a local directory, on the CPU.

The model's own pooling and normalisation come from its sentence-transformers files (mean
pooling for e5, CLS for bge-m3, a dense layer for LaBSE). Its prefix for similarity is, in order:
the one configured, the model's own "query" prompt, "query: " for e5 models that name none.
Threads are torch's, set for the whole process by the summarisation model's `threads`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from summarizer.embeddings.base import Embedder, EmbeddingError, clean_inputs, unit_rows
from summarizer.types import first_line

E5_PREFIX = "query: "


class SentenceTransformerEmbedder(Embedder):
    def __init__(
        self, name: str, *, prefix: str | None = None, cache_dir: str | Path | None = None, batch_size: int = 32
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbeddingError(
                "backend 'sentence-transformers' needs the sentence-transformers package: "
                "pip install 'briefbot[sentence-transformers]'"
            ) from None
        try:
            self._model = SentenceTransformer(name, device="cpu", cache_folder=str(cache_dir) if cache_dir else None)
        except (OSError, ValueError) as exc:
            raise EmbeddingError(f"cannot load embedding model {name}: {first_line(exc)}") from None
        self.prefix = prefix if prefix is not None else _model_prefix(name, self._model.prompts)
        self.batch_size = batch_size
        self.dimension = int(self._model.get_embedding_dimension())
        self.model_id = f"sentence-transformers/{name}" + (f" prefix={self.prefix!r}" if self.prefix else "")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = clean_inputs(texts)
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts, prompt=self.prefix, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return unit_rows(vectors)


def _model_prefix(name: str, prompts: dict[str, str]) -> str:
    if prompts.get("query"):
        return prompts["query"]
    words = Path(name).name.lower().split("-")
    if "e5" in words and "instruct" not in words:  # instruct models take a task instruction instead
        return E5_PREFIX
    return ""
