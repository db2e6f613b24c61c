"""Test doubles, each named for what it stands in for: the summarizing model, an embedder, the
Telegram sender of a channel's queued messages."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence

import numpy as np
import regex

from summarizer import Backend
from summarizer.embeddings import Embedder

SUMMARY = "The city council approved the new budget on Tuesday after a long debate about schools."


class FakeBackend(Backend):
    """A model backend that writes the same summary for every request (through the real pre- and
    postprocessing, in a Summarizer).

    With `gate` set, generation waits until the test opens it, to hold requests in progress. With
    `translations` (source sentence -> rendering) it translates too, writing "" for a sentence it was
    not given; without, it cannot translate.
    """

    backend_name = "fixed"

    def __init__(
        self, summary: str = SUMMARY, *, gate: asyncio.Event | None = None, translations: dict[str, str] | None = None
    ) -> None:
        self.translations = translations
        self.translated: list[str] = []  # the sentences it was asked to translate
        self.model_name = "fixed-test-model"
        self.summary = summary
        self.gate = gate
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> str:
        return f"[{language}] {source}"

    def translation_prompt(self, sentence: str, source_language: str, target_language: str) -> tuple[str, ...] | None:
        return None if self.translations is None else ("translate", sentence)

    async def generate(self, prompt: str | tuple[str, ...], max_new_tokens: int) -> str:
        if isinstance(prompt, tuple):
            self.translated.append(prompt[1])
            return self.translations.get(prompt[1], "")
        self.prompts.append(prompt)
        if self.gate is not None:
            await self.gate.wait()
        return self.summary


class FakeEmbedder(Embedder):
    """A sentence embedder of hashed bags of lower-case words, so texts that share words are close
    and texts that share none are orthogonal. Counts what it embeds."""

    model_id = "test/words"
    dimension = 512

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in regex.findall(r"\p{L}+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1)


class CountingEmbedder(Embedder):
    """An embedder (a tiny one, in tests) that counts the texts it is given; `model_id` may name another model."""

    def __init__(self, inner: Embedder, model_id: str | None = None) -> None:
        self.inner = inner
        self.model_id = model_id or inner.model_id
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return self.inner.embed(texts)


class FakeSender:
    """The Telegram sender of a channel's queued messages, sending none."""

    async def send_channel(self, channel_id: int) -> int:
        return 0
