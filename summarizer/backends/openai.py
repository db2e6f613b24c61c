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

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from summarizer.backends.base import Backend
from summarizer.prompts import COMPLETION_VARIANTS, chat_messages, completion_prompt
from summarizer.types import BackendUnavailableError
from web.retry_after import retry_after_seconds

# Characters per token assumed without the server's tokenizer: current BPE vocabularies give
# about 4 in English and 3 or more in most other alphabetic scripts, so the estimate errs on
# the long side there. Ideographic scripts take more tokens per character than this assumes.
CHARS_PER_TOKEN = 3
_BODY_EXCERPT_CHARS = 200


class _HTTPStatusError(Exception):
    def __init__(self, status: int, body: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


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
        # Accept the server root or its /v1 base, the two forms servers document.
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        # None: the first model the server lists, looked up on first use.
        self.model_name = model or ""
        self.timeout = timeout
        if prompt_style not in ("chat", "completion"):
            raise ValueError(f"prompt_style must be 'chat' or 'completion', not {prompt_style!r}")
        self.chat = prompt_style == "chat"
        self.prompt_variants = 1 if self.chat else COMPLETION_VARIANTS
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._attempts = attempts
        self._backoff = backoff
        self._max_retry_wait = max_retry_wait
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._model_lookup: asyncio.Future[str] | None = None
        # Created on first use: a session belongs to the event loop it was made in, and the
        # backend is built in a worker thread.
        self._session: aiohttp.ClientSession | None = None

    def count_tokens(self, text: str) -> int:
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> list[dict[str, str]] | str:
        if self.chat:
            return chat_messages(source, language, max_chars)
        return completion_prompt(source, language, variant)

    async def generate(self, prompt: list[dict[str, str]] | str, max_new_tokens: int) -> str:
        payload: dict[str, Any] = {"model": await self._model(), "max_tokens": max_new_tokens, "temperature": 0}
        if self.chat:
            answer = await self._request("POST", "/v1/chat/completions", {**payload, "messages": prompt})
        else:
            # A base model runs on past its paragraph: stop at the first blank line.
            # repeat_penalty is llama.cpp's name (as in process, it keeps a base model from looping);
            # servers that do not know it ignore it.
            payload.update(prompt=prompt, stop=["\n\n"], repeat_penalty=1.15)
            answer = await self._request("POST", "/v1/completions", payload)
        try:
            choice = answer["choices"][0]
            return (choice["message"]["content"] if self.chat else choice["text"]) or ""
        except (KeyError, IndexError, TypeError):
            problem = f"answered without a completion: {_excerpt(json.dumps(answer))}"
            raise self._unavailable(problem) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

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
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._retry_wait,
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            return await retrying(self._send, method, self.base_url + path, payload)
        except _HTTPStatusError as exc:
            raise self._unavailable(f"answered HTTP {exc.status}: {exc.body}") from None
        except TimeoutError:  # before ClientError: aiohttp's timeouts are both
            raise self._unavailable(f"did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise self._unavailable(f"is not reachable: {exc}") from None
        except ValueError:
            raise self._unavailable("answered with something other than JSON") from None

    async def _send(self, method: str, url: str, payload: dict[str, Any] | None) -> Any:
        async with self._in_flight:
            async with self._http().request(method, url, json=payload) as response:
                if response.status >= 400:
                    raise _HTTPStatusError(
                        response.status,
                        _excerpt(await response.text()),
                        retry_after_seconds(response.headers.get("Retry-After")),
                    )
                return await response.json(content_type=None)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return self._session

    def _retry_wait(self, state: RetryCallState) -> float:
        """Exponential backoff, or what the server asked for in Retry-After; both capped."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _HTTPStatusError) and error.retry_after is not None:
            wait = error.retry_after
        else:
            wait = self._backoff * 2 ** (state.attempt_number - 1)
        return min(wait, self._max_retry_wait)

    def _unavailable(self, problem: str) -> BackendUnavailableError:
        return BackendUnavailableError(f"inference server at {self.base_url} {problem}")


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, _HTTPStatusError):
        return error.status == 429 or error.status >= 500
    return isinstance(error, (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError))


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= _BODY_EXCERPT_CHARS else text[: _BODY_EXCERPT_CHARS - 1] + "…"
