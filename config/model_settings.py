"""The model sections of the settings: the summarising model, the sentence embedder, the trust gate."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from config.strict import Strict

# How far below the nearest other topic a channel's topic may score (language-centred cosines,
# bot/digest/topics.py) and still match, for the offline model: fitted held out by bench/topics.py.
TOPIC_MARGIN = 0.02
# The trust gate's support check: cosine of a summary sentence with its best source sentence (offline embedder).
SUPPORT_THRESHOLD = 0.90
# Its bar for a sentence in a language none of its sources is written in (a summary across
# languages), where no wording check applies: on the labelled set, of the sentences across languages
# that pass the names check, 5 of 11 at or above 0.90 are faithful, 2 of 2 at or above 0.93.
SUPPORT_ACROSS_LANGUAGES = 0.93
# trust.translation_threshold to turn translations on with: chosen on tests/data/translations.jsonl
# (bench/translation_check.py).
TRANSLATION_THRESHOLD = 0.90


class ModelSettings(Strict):
    backend: Literal["transformers", "openai"] = "transformers"
    name: str | None = None  # hub id, local dir or .gguf path; None = offline default
    base_url: str | None = None
    api_key: str | None = None
    cache_dir: str | None = None  # converted GGUF models live here; default ~/.cache/briefbot
    max_chars: int = Field(default=400, ge=80, le=4000)
    candidates: int = Field(default=1, ge=1, le=8)  # prompt variants compared per summary
    # Sources of a story summarised each on its own, the best summary kept (0: all in one prompt);
    # None: the backend's default (3 for an in-process causal model, 0 for the others).
    per_source: int | None = Field(default=None, ge=0, le=8)
    timeout: float = Field(default=120.0, gt=0)
    # Threads for the in-process model; default every core. Lower it when other CPU-heavy
    # processes share the machine: oversubscribed cores slow every process down many times over.
    threads: int | None = Field(default=None, ge=1)
    # How the model is prompted: "chat" (instruction-tuned, through its chat template) or
    # "completion" (a base model continuing a cue). None: in process, the tokenizer's chat
    # template decides; a remote server is asked for chat.
    prompt_style: Literal["chat", "completion"] | None = None

    @field_validator("name", "base_url", "api_key", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # An empty environment variable (BRIEFBOT_MODEL__NAME=) means "not set".
        return None if value == "" else value

    @model_validator(mode="after")
    def _openai_needs_url(self) -> "ModelSettings":
        if self.backend == "openai" and not self.base_url:
            raise ValueError("backend 'openai' needs model.base_url")
        return self


class EmbeddingSettings(Strict):
    """The sentence embedder that groups articles into stories across languages."""

    backend: Literal["offline", "sentence-transformers", "openai"] = "offline"
    # sentence-transformers: hub id or local directory; openai: the server's model name.
    name: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    # Put before every text; None = the model's own for similarity ("query: " for e5 models).
    prefix: str | None = None
    cache_dir: str | None = None  # hub downloads; default the Hugging Face cache
    # Threads of the offline embedder; default every core (sentence-transformers uses model.threads).
    threads: int | None = Field(default=None, ge=1)
    timeout: float = Field(default=60.0, gt=0)  # seconds per request to an embedding server
    batch_size: int = Field(default=32, ge=1, le=1024)  # texts per model call or request
    # A story is on a channel's topic when one of its articles is nearer the topic than the other
    # topics of the news, less this margin (bot/digest/topics.py; "strict" and "loose" topics take a
    # step less or more). Measured for the offline model (bench/topics.py); another model may need its own.
    topic_margin: float = Field(default=TOPIC_MARGIN, ge=-1, le=1)
    # No longer used: topics are no longer matched at an absolute cosine. Accepted so older config
    # files still load.
    topic_threshold: float | None = Field(default=None, gt=-1, le=1)

    @field_validator("name", "base_url", "api_key", "prefix", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _backend_needs(self) -> "EmbeddingSettings":
        if self.backend == "openai" and not (self.base_url and self.name):
            raise ValueError("backend 'openai' needs embeddings.base_url and embeddings.name")
        if self.backend == "sentence-transformers" and not self.name:
            raise ValueError("backend 'sentence-transformers' needs embeddings.name (hub id or directory)")
        return self


class TranslationSettings(Strict):
    """What translates a story's headline and opening when nothing in the channel's language tells
    it (on when trust.translation_threshold is set)."""

    # A dedicated translation model, hub id or directory: NLLB-200 or M2M100 (one model for every
    # language), or Marian opus-mt named per pair ("Helsinki-NLP/opus-mt-{source}-{target}").
    # None = the summarising model, asked to translate.
    model: str | None = None
    cache_dir: str | None = None  # hub downloads; default the Hugging Face cache

    @field_validator("model", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value


class TrustSettings(Strict):
    """The checks every sentence of a summary passes before it is posted; names, numbers and dates
    in a source are always checked."""

    # Lowest cosine of a summary sentence against its closest source sentence (the embeddings
    # section's model); None = no support check. Chosen for the offline multilingual-e5-small on
    # tests/data/faithfulness.jsonl (bench/faithfulness.py); another embedder needs its own.
    support_threshold: float | None = Field(default=SUPPORT_THRESHOLD, ge=0, le=1)
    # The support check's bar for a sentence in no source's language (a summary across languages),
    # which the wording check cannot read; None = support_threshold's.
    support_across_languages: float | None = Field(default=SUPPORT_ACROSS_LANGUAGES, ge=0, le=1)
    # Content words a summary sentence written in a source's language may use that no source uses
    # (summarizer.checks.wording); None = no wording check. 0 posts a same-language source's lead
    # rather than a rewording of it; a larger model's faithful rewordings need more.
    new_words: int | None = Field(default=0, ge=0)
    # A multilingual NLI model (hub id or local directory) that must find each sentence entailed
    # by a source passage; None = no verifier. Slow on a CPU.
    verifier: str | None = None
    verifier_threshold: float = Field(default=0.5, gt=0, lt=1)  # probability of entailment
    # Lowest cosine (the embeddings section's model, languages' offsets taken out) of a translated
    # sentence against its own source sentence. None (the default) = no translations: a story told
    # in no source in the channel's language, and not summarised, is given as its headlines. Off by
    # default because the offline model's translations are rarely faithful and the check cannot
    # tell them apart well enough (README, "Translations"); TRANSLATION_THRESHOLD with a better model.
    translation_threshold: float | None = Field(default=None, ge=0, le=1)
    cache_dir: str | None = None  # the verifier's hub downloads; default the Hugging Face cache

    @field_validator("verifier", "cache_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value
