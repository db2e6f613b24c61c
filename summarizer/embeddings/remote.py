"""Embeddings from an OpenAI-compatible server's /v1/embeddings (vLLM, llama.cpp server,
Ollama, Hugging Face TEI).

The model must be named: its name is part of the vector space's id, and a server that swapped
its default model would otherwise mix vector spaces silently. The server is asked in requests of
`batch_size` texts. On the event loop, aembed shares one connection pool; a blocking embed (from
a worker thread) opens its own for the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from summarizer.embeddings.base import Embedder, EmbeddingError, clean_inputs, unit_rows
from summarizer.http import JSONClient, ServerError, excerpt


class OpenAIEmbedder(Embedder):
    def __init__(
        self,
        *,
        base_url: str,
        name: str,
        api_key: str | None = None,
        prefix: str = "",
        timeout: float = 60.0,
        batch_size: int = 32,
        attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        if not name:
            raise EmbeddingError("backend 'openai' needs the embedding model's name")
        self._settings = {"api_key": api_key, "timeout": timeout, "attempts": attempts, "backoff": backoff}
        self._client = JSONClient(base_url, **self._settings)
        self.base_url = self._client.base_url
        self.name = name
        self.prefix = prefix
        self.batch_size = batch_size
        self.model_id = f"openai/{name}" + (f" prefix={prefix!r}" if prefix else "")
        self.dimension: int | None = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return asyncio.run(self._embed_with_own_client(clean_inputs(texts)))

    async def aembed(self, texts: Sequence[str]) -> np.ndarray:
        return await self._embed_all(self._client, clean_inputs(texts))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _embed_with_own_client(self, texts: list[str]) -> np.ndarray:
        client = JSONClient(self.base_url, **self._settings)
        try:
            return await self._embed_all(client, texts)
        finally:
            await client.aclose()

    async def _embed_all(self, client: JSONClient, texts: list[str]) -> np.ndarray:
        batches = [texts[start : start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        parts = await asyncio.gather(*(self._embed_batch(client, batch) for batch in batches))
        if not parts:
            return np.empty((0, self.dimension or 0), dtype=np.float32)
        return np.concatenate(parts)

    async def _embed_batch(self, client: JSONClient, texts: list[str]) -> np.ndarray:
        payload = {"model": self.name, "input": [self.prefix + text for text in texts], "encoding_format": "float"}
        try:
            answer = await client.request("POST", "/v1/embeddings", payload)
        except ServerError as exc:
            raise self._failed(str(exc)) from None
        vectors = self._vectors(answer, len(texts))
        if self.dimension is None:
            self.dimension = vectors.shape[1]
        elif vectors.shape[1] != self.dimension:
            raise self._failed(f"changed its vector length from {self.dimension} to {vectors.shape[1]}")
        return unit_rows(vectors)

    def _vectors(self, answer: Any, expected: int) -> np.ndarray:
        """The answer's vectors in input order (servers may return them in any order)."""
        try:
            items = sorted(answer["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in items], dtype=np.float32)
        except (KeyError, TypeError, ValueError):
            raise self._failed(f"answered without embeddings: {excerpt(str(answer))}") from None
        if vectors.ndim != 2 or len(vectors) != expected or not np.isfinite(vectors).all():
            raise self._failed(f"answered {len(vectors)} usable vectors for {expected} texts")
        return vectors

    def _failed(self, problem: str) -> EmbeddingError:
        return EmbeddingError(f"embedding server at {self.base_url} {problem}")
