"""JSON requests to an OpenAI-compatible server (vLLM, llama.cpp server, Ollama, TEI).

Requests in flight are bounded; transient failures (connection errors, timeouts, HTTP 429 and
5xx) are retried with exponential backoff, or after the server's Retry-After; what still fails
raises ServerError with a one-line reason.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from web.retry_after import retry_after_seconds

_BODY_EXCERPT_CHARS = 200


class ServerError(Exception):
    """The server is down, hangs or answers with errors; the message says which."""


class _HTTPStatusError(Exception):
    def __init__(self, status: int, body: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


class JSONClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_in_flight: int = 8,
        attempts: int = 4,
        backoff: float = 1.0,
        max_retry_wait: float = 30.0,
    ) -> None:
        # Accept the server root or its /v1 base, the two forms servers document.
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._attempts = attempts
        self._backoff = backoff
        self._max_retry_wait = max_retry_wait
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # Created on first use: a session belongs to the event loop it was made in, and clients
        # are built in worker threads.
        self._session: aiohttp.ClientSession | None = None

    async def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer to `method path` (path from the root, e.g. /v1/models)."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._retry_wait,
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        try:
            return await retrying(self._send, method, self.base_url + path, payload)
        except _HTTPStatusError as exc:
            raise ServerError(f"answered HTTP {exc.status}: {exc.body}") from None
        except TimeoutError:  # before ClientError: aiohttp's timeouts are both
            raise ServerError(f"did not answer within {self.timeout:g} s") from None
        except aiohttp.ClientError as exc:
            raise ServerError(f"is not reachable: {exc}") from None
        except ValueError:
            raise ServerError("answered with something other than JSON") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _send(self, method: str, url: str, payload: dict[str, Any] | None) -> Any:
        async with self._in_flight:
            async with self._http().request(method, url, json=payload) as response:
                if response.status >= 400:
                    raise _HTTPStatusError(
                        response.status,
                        excerpt(await response.text()),
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


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, _HTTPStatusError):
        return error.status == 429 or error.status >= 500
    return isinstance(error, (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError))


def excerpt(body: str) -> str:
    """A response body shortened to one line for an error message."""
    text = " ".join(body.split())
    return text if len(text) <= _BODY_EXCERPT_CHARS else text[: _BODY_EXCERPT_CHARS - 1] + "…"
