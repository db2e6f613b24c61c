"""A dedicated machine-translation model through transformers (config `translation.model`).

- Many languages in one model: NLLB-200 (language tokens such as "ces_Latn") or M2M100 ("__cs__"),
  by hub id or directory. The source language is set on the tokenizer and the target's token
  forced as the first one generated.
- One model per language pair: Marian opus-mt, named with placeholders,
  "Helsinki-NLP/opus-mt-{source}-{target}"; a pair is loaded the first time it is asked for.
A pair the model has no language token or no model for is not translated, nor is anything when
the model cannot be loaded (logged once): the digest then gives the story's headlines. Blocking work (loading,
generating) runs in a worker thread, one generation at a time: torch already uses every core.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarizer.language import iso_639_3
from summarizer.translation.translator import ANSWER_TOKENS_PER_SOURCE_TOKEN
from summarizer.types import first_line

log = logging.getLogger(__name__)

# NLLB's codes are ISO 639-3 with a script, but for these macrolanguages it names one member.
_NLLB_CODES = {"ar": "arb_Arab", "fa": "pes_Arab", "ms": "zsm_Latn", "zh": "zho_Hans", "lv": "lvs_Latn",
               "sw": "swh_Latn", "az": "azj_Latn", "mn": "khk_Cyrl", "sq": "als_Latn", "nb": "nob_Latn",
               "et": "est_Latn"}
BATCH = 8
MIN_ANSWER_TOKENS = 32


@dataclass(frozen=True)
class _Loaded:
    tokenizer: Any
    model: Any


class MachineTranslation:
    def __init__(self, name: str, cache_dir: str | None = None) -> None:
        self.model_name = name
        self._cache_dir = cache_dir
        self._models: dict[str, _Loaded | None] = {}
        self._lock = threading.Lock()

    @property
    def per_pair(self) -> bool:
        return "{source}" in self.model_name or "{target}" in self.model_name

    async def render(self, sentences: Sequence[str], source_language: str, target_language: str) -> list[str] | None:
        return await asyncio.to_thread(self._render, list(sentences), source_language, target_language)

    def _render(self, sentences: list[str], source_language: str, target_language: str) -> list[str] | None:
        with self._lock:
            loaded = self._load(source_language, target_language)
            if loaded is None:
                return None
            codes = None
            if not self.per_pair:
                codes = language_tokens(loaded.tokenizer, source_language, target_language)
                if codes is None:
                    return None
            return [text for start in range(0, len(sentences), BATCH)
                    for text in self._generate(loaded, sentences[start : start + BATCH], codes)]

    def _load(self, source_language: str, target_language: str) -> _Loaded | None:
        name = self.model_name.format(source=source_language, target=target_language)
        if name not in self._models:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(name, cache_dir=self._cache_dir)
                model = AutoModelForSeq2SeqLM.from_pretrained(name, cache_dir=self._cache_dir).eval()
            except (OSError, ValueError) as exc:
                if not self.per_pair:
                    log.error("cannot load translation model %s: %s", name, first_line(exc))
                self._models[name] = None
            else:
                self._models[name] = _Loaded(tokenizer, model)
        return self._models[name]

    def _generate(self, loaded: _Loaded, sentences: list[str], codes: tuple[str, str] | None) -> list[str]:
        import torch

        tokenizer, extra = loaded.tokenizer, {}
        if codes is not None:
            if hasattr(tokenizer, "src_lang"):  # M2M100's tokenizer takes "cs" for "__cs__", NLLB's its token
                tokenizer.src_lang = codes[0][2:-2] if codes[0].startswith("__") else codes[0]
            extra["forced_bos_token_id"] = tokenizer.convert_tokens_to_ids(codes[1])
        inputs = tokenizer(sentences, return_tensors="pt", padding=True, truncation=True, max_length=256)
        answer = max(MIN_ANSWER_TOKENS, ANSWER_TOKENS_PER_SOURCE_TOKEN * inputs["input_ids"].shape[1])
        with torch.inference_mode():
            output = loaded.model.generate(**inputs, max_new_tokens=answer, num_beams=1, do_sample=False, **extra)
        return [" ".join(text.split()) for text in tokenizer.batch_decode(output, skip_special_tokens=True)]


def language_tokens(tokenizer: Any, source_language: str, target_language: str) -> tuple[str, str] | None:
    """The model's tokens for the two languages (NLLB's or M2M100's), None when it lacks one."""
    found = [_code(tokenizer, language) for language in (source_language, target_language)]
    return (found[0], found[1]) if found[0] and found[1] else None


def _code(tokenizer: Any, language: str) -> str | None:
    if _known(tokenizer, f"__{language}__"):  # M2M100
        return f"__{language}__"
    if language in _NLLB_CODES:
        return _NLLB_CODES[language] if _known(tokenizer, _NLLB_CODES[language]) else None
    iso3 = iso_639_3(language)
    if iso3 is None:
        return None
    prefix = f"{iso3}_"
    matches = sorted(token for token in tokenizer.get_vocab() if token.startswith(prefix) and len(token) == len(prefix) + 4)
    return matches[0] if len(matches) == 1 else None


def _known(tokenizer: Any, token: str) -> bool:
    """Whether the tokenizer has the token (M2M100's language tokens are not in its get_vocab())."""
    index = tokenizer.convert_tokens_to_ids(token)
    return index is not None and index != tokenizer.unk_token_id
