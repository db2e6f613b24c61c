"""What every embedder offers: a named vector space and unit vectors of texts in it.

Callers compare like with like (an article with an article, a summary sentence with a source
sentence), a symmetric task, so one kind of input serves both. Models trained with input
prefixes get the one their authors give for symmetric similarity: "query: " for the e5 family,
the model card's advice for semantic similarity and bitext mining. On the project's labelled
article sets it also groups cross-lingual pairs better than "passage: " (the same event in two
languages scores higher against other events), at equal quality within one language.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from summarizer.types import SummarizerError


class EmbeddingError(SummarizerError):
    """An embedder cannot be loaded, or its model or server fails to embed."""


class Embedder(ABC):
    # Names the vector space: stored vectors are compared only with vectors of the same id.
    model_id: str
    # Length of a vector; None until a remote server has answered once.
    dimension: int | None

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text. Blocking: run it from a worker thread."""

    async def aembed(self, texts: Sequence[str]) -> np.ndarray:
        """embed, off the event loop."""
        return await asyncio.to_thread(self.embed, list(texts))

    async def aclose(self) -> None:
        """Release what the embedder holds (connections); in-process models hold nothing to close."""


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to length 1; an all-zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def clean_inputs(texts: Sequence[str]) -> list[str]:
    """Texts as a model may take them: a NUL would cut a C string short."""
    if isinstance(texts, str):
        raise TypeError("embed takes a sequence of texts, not one string")
    return [text.replace("\x00", " ") for text in texts]
