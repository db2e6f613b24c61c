"""Sentence-by-sentence translation, each sentence checked on its own: by the summarising model
asked to translate (PromptedModel), or by a dedicated translation model (machine.MachineTranslation)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from summarizer.backends.base import Backend
from summarizer.backends.pipeline import clean_output
from summarizer.backends.steering import Steering
from summarizer.facts.mentions import Name, extract_mentions
from summarizer.translation.check import TranslationCheck

# Tokens of answer per token of source, plus room for a short sentence's longer rendering.
ANSWER_TOKENS_PER_SOURCE_TOKEN = 2
ANSWER_TOKENS_SLACK = 16
MAX_ANSWER_TOKENS = 200


@dataclass(frozen=True)
class Translation:
    source: str
    rendering: str  # what the model wrote
    reasons: tuple[str, ...] = ()  # why the rendering was refused ([] when it passed the check)

    @property
    def text(self) -> str:
        """The translation, "" when no faithful one came out."""
        return "" if self.reasons else self.rendering


class Renderer(Protocol):
    model_name: str

    async def render(self, sentences: Sequence[str], source_language: str, target_language: str) -> list[str] | None:
        """The model's rendering of each sentence, in order; None when it does not translate between
        the two languages."""


class Translator:
    """Translates sentences with a renderer; a rendering that fails the check is refused."""

    def __init__(self, renderer: Renderer, check: TranslationCheck) -> None:
        self.renderer = renderer
        self.check = check

    @property
    def model_name(self) -> str:
        return self.renderer.model_name

    async def translate(
        self, sentences: Sequence[str], source_language: str, target_language: str
    ) -> list[Translation]:
        """One Translation per sentence, in order."""
        texts = await self.renderer.render(sentences, source_language, target_language)
        if texts is None:
            return [Translation(s, "", (f"the model does not translate {source_language} to {target_language}",))
                    for s in sentences]
        reasons = await asyncio.to_thread(
            self.check.reasons, list(zip(sentences, texts, strict=True)), source_language, target_language
        )
        return [
            Translation(sentence, text, tuple(refused))
            for sentence, text, refused in zip(sentences, texts, reasons, strict=True)
        ]


class PromptedModel:
    """The summarising model asked to translate, one prompt per sentence, all generated at once (the
    backend batches them), steered to the target language's script."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def model_name(self) -> str:
        return self.backend.model_name

    async def render(self, sentences: Sequence[str], source_language: str, target_language: str) -> list[str] | None:
        prompts = [self.backend.translation_prompt(s, source_language, target_language) for s in sentences]
        if any(prompt is None for prompt in prompts):
            return None
        budgets = await asyncio.to_thread(lambda: [self._answer_tokens(s) for s in sentences])
        raws = await asyncio.gather(*(
            self.backend.generate_steered(prompt, budget, _steering(sentence, target_language))
            for prompt, sentence, budget in zip(prompts, sentences, budgets, strict=True)
        ))
        return [first_line(raw) for raw in raws]

    def _answer_tokens(self, sentence: str) -> int:
        tokens = self.backend.count_tokens(sentence)
        return min(MAX_ANSWER_TOKENS, ANSWER_TOKENS_PER_SOURCE_TOKEN * tokens + ANSWER_TOKENS_SLACK)


def first_line(raw: str) -> str:
    """The model's first line of text, without the special tokens or quotes around it."""
    line = next((line for line in raw.split("\n") if line.strip()), "")
    return clean_output(line, len(line)).strip("\"'«»“” ")


def _steering(sentence: str, language: str) -> Steering:
    """The target language's script, the sentence's names exempt, and no penalty for repeating them."""
    names = {word for mention in extract_mentions(sentence) if isinstance(mention, Name) for word in mention.text.split()}
    return Steering(language, tuple(sorted(names)), repeats_prompt=True)
