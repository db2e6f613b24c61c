"""The vectors bench/story_grouping.py groups articles by: the text of each article embedded
several ways, the embedder's vectors kept between runs, and language centring as the bot centres."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.stories.assign import ARTICLE_CHARS, article_text
from bot.stories.grouping import Document
from summarizer.embeddings import Embedder, LanguageCentres

LONG_CHARS = 1500


# What is embedded of an article, by way of embedding: the bot's is "lead".
TEXTS: dict[str, Callable[[str, str], str]] = {
    "lead": article_text,
    "long": lambda title, text: article_text(title, text, LONG_CHARS),
    "title": lambda title, text: title.strip() or text.strip()[:100],
    "rest": lambda title, text: article_text(title, text, LONG_CHARS)[ARTICLE_CHARS:].strip(),
}


class VectorCache:
    """Vectors of texts by the embedder, kept in an .npz file between runs."""

    def __init__(self, embedder: Embedder, path: Path | None) -> None:
        self.embedder = embedder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as stored:
                self.vectors = {key: stored[key] for key in stored.files}
        self.embedded = 0
        self.seconds = 0.0

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.embedder.model_id}\n{text}".encode()).hexdigest()

    def embed(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        missing = sorted({text for text in texts if self.key(text) not in self.vectors})
        if missing:
            started = time.perf_counter()
            for start in range(0, len(missing), 32):
                batch = missing[start : start + 32]
                self.vectors.update(zip(map(self.key, batch), self.embedder.embed(batch)))
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(self.path, **self.vectors)
        return {text: self.vectors[self.key(text)] for text in texts}

    def attach(self, documents: Sequence[Document], way: str = "lead") -> list[Document]:
        """The documents with the raw vectors of their text embedded `way` ("two": the mean of
        "lead" and "rest", or "lead" alone for an article no longer than its lead)."""
        if way == "two":
            lead, rest = self.attach(documents, "lead"), self.attach(documents, "rest")
            return [replace(a, vector=_unit(a.vector + b.vector) if TEXTS["rest"](a.title, a.text) else a.vector)
                    for a, b in zip(lead, rest, strict=True)]
        texts = [TEXTS[way](document.title, document.text) or document.title for document in documents]
        vectors = self.embed(texts)
        return [replace(document, vector=vectors[text]) for document, text in zip(documents, texts, strict=True)]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def centred(documents: Sequence[Document], model_id: str, *, common: bool = False) -> list[Document]:
    """The documents with language-centred vectors, the offsets estimated from them as from a store."""
    vectors = np.stack([document.vector for document in documents])
    languages = [document.language for document in documents]
    centres = LanguageCentres.estimate(model_id, vectors, languages)
    rows = centres.centre(vectors, languages, common=common)
    return [replace(document, vector=row) for document, row in zip(documents, rows, strict=True)]
