"""A remote OpenAI-compatible server (vLLM, llama.cpp server, Ollama).

Instruction-tuned models are asked through /v1/chat/completions; a base model (prompt_style
"completion") gets the same completion cue as in process, through /v1/completions.

The server batches concurrent requests itself, so this backend only bounds how many are in
flight. Transient failures (connection errors, timeouts, HTTP 429 and 5xx) are retried with
exponential backoff; what still fails becomes a BackendUnavailableError naming the server.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from summarizer.backends.base import Backend
from summarizer.backends.prompts import COMPLETION_VARIANTS, chat_messages, completion_prompt
from summarizer.backends.steering import REPETITION_PENALTY, Steering, repetition_penalty
from summarizer.http import JSONClient, ServerError, excerpt
from summarizer.translation.prompts import translation_completion_prompt, translation_messages
from summarizer.types import BackendUnavailableError

# Characters per token assumed without the server's tokenizer: current BPE vocabularies give
# about 4 in English and 3 or more in most other alphabetic scripts, so the estimate errs on
# the long side there. Ideographic scripts take more tokens per character than this assumes.
CHARS_PER_TOKEN = 3


class OpenAIBackend(Backend):
    backend_name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        prompt_style: str = "chat",
        max_in_flight: int = 8,
        attempts: int = 4,
        backoff: float = 1.0,
        max_retry_wait: float = 30.0,
    ) -> None:
        self._client = JSONClient(
            base_url, api_key=api_key, timeout=timeout, max_in_flight=max_in_flight,
            attempts=attempts, backoff=backoff, max_retry_wait=max_retry_wait,
        )
        self.base_url = self._client.base_url
        # None: the first model the server lists, looked up on first use.
        self.model_name = model or ""
        if prompt_style not in ("chat", "completion"):
            raise ValueError(f"prompt_style must be 'chat' or 'completion', not {prompt_style!r}")
        self.chat = prompt_style == "chat"
        self.prompt_variants = 1 if self.chat else COMPLETION_VARIANTS
        self._model_lookup: asyncio.Future[str] | None = None

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> list[dict[str, str]] | str:
        if self.chat:
            return chat_messages(source, language, max_chars)
        return completion_prompt(source, language, variant)

    def translation_prompt(self, sentence: str, source_language: str, target_language: str) -> list[dict[str, str]] | str:
        if self.chat:
            return translation_messages(sentence, source_language, target_language)
        return translation_completion_prompt(sentence, source_language, target_language)

    async def generate_steered(self, prompt, max_new_tokens: int, steering: Steering) -> str:
        return await self.generate(prompt, max_new_tokens, repeat_penalty=repetition_penalty(steering))

    async def generate(
        self, prompt: list[dict[str, str]] | str, max_new_tokens: int, *, repeat_penalty: float = REPETITION_PENALTY
    ) -> str:
        payload: dict[str, Any] = {"model": await self._model(), "max_tokens": max_new_tokens, "temperature": 0}
        if self.chat:
            answer = await self._request("POST", "/v1/chat/completions", {**payload, "messages": prompt})
        else:
            # A base model runs on past its paragraph: stop at the first blank line.
            # repeat_penalty is llama.cpp's name (as in process, it keeps a base model from looping);
            # servers that do not know it ignore it.
            payload.update(prompt=prompt, stop=["\n\n"], repeat_penalty=repeat_penalty)
            answer = await self._request("POST", "/v1/completions", payload)
        try:
            choice = answer["choices"][0]
            return (choice["message"]["content"] if self.chat else choice["text"]) or ""
        except (KeyError, IndexError, TypeError):
            problem = f"answered without a completion: {excerpt(json.dumps(answer))}"
            raise self._unavailable(problem) from None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _model(self) -> str:
        """The configured model, else the first one the server lists."""
        if self.model_name:
            return self.model_name
        # Concurrent first requests share one lookup, and share its failure instead of each
        # waiting out its own retries in turn.
        if self._model_lookup is None:
            self._model_lookup = asyncio.ensure_future(self._first_listed_model())
        lookup = self._model_lookup
        try:
            # Shielded: one caller giving up must not cancel the lookup the others wait for.
            self.model_name = await asyncio.shield(lookup)
        finally:
            if lookup.done() and not self.model_name and self._model_lookup is lookup:
                self._model_lookup = None  # failed: the next request asks again
        return self.model_name

    async def _first_listed_model(self) -> str:
        listing = await self._request("GET", "/v1/models")
        try:
            return listing["data"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise self._unavailable("lists no models") from None

    async def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        try:
            return await self._client.request(method, path, payload)
        except ServerError as exc:
            raise self._unavailable(str(exc)) from None

    def _unavailable(self, problem: str) -> BackendUnavailableError:
        return BackendUnavailableError(f"inference server at {self.base_url} {problem}")

