"""What a model family provides: how it counts tokens, phrases a prompt and generates.

Everything else (chunking, map-reduce over long input, language checks, the gate) is the pipeline's,
summarizer.backends.pipeline.Summarizer, the same for every model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from summarizer.backends.steering import Steering

# About 2.5 characters per token in the scripts that tokenise worst: the token budget for an
# answer of max_chars characters is sized on it.
CHARS_PER_TOKEN_FLOOR = 2.5


class Backend(ABC):
    """A model: subclasses implement count_tokens, prompt and generate."""

    model_name: str
    backend_name: str
    # Source tokens per model call; the prompt and the answer need the rest of the context.
    chunk_tokens: int = 1024
    # How many wordings prompt() has (its `variant`): the pipeline compares and retries them.
    prompt_variants: int = 1
    # A story of several sources: how many of them the model summarises best each on its own
    # (0 = one prompt over all sources joined). The pipeline's default, which a caller may override.
    per_source: int = 0

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @abstractmethod
    def prompt(self, source: str, language: str, max_chars: int, variant: int):
        """A prompt in the form generate() takes: completion text or chat messages."""

    @abstractmethod
    async def generate(self, prompt, max_new_tokens: int) -> str: ...

    async def generate_steered(self, prompt, max_new_tokens: int, steering: Steering) -> str:
        """generate() for an answer in steering.language; a backend that can steer its decoder
        towards that language's script does so."""
        return await self.generate(prompt, max_new_tokens)

    def headline_prompt(self, summary: str, language: str):
        """A prompt for generate(), or None when the model only summarises (seq2seq summarizers)."""
        return None

    def translation_prompt(self, sentence: str, source_language: str, target_language: str):
        """A prompt for generate_steered() translating one sentence, or None when the model only summarises."""
        return None

    async def aclose(self) -> None:
        """Release the model or connections."""
