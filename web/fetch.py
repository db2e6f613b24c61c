"""Polite, bounded HTTP(S) and file: fetching for feeds and article pages."""

from __future__ import annotations

import asyncio
import mimetypes
import os
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception, stop_after_attempt, wait_exponential
from yarl import URL

from config.settings import FetchSettings
from web.retry_after import retry_after_seconds
from web.urlguard import UnsafeURLError

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

# Seconds a fetch waits before trying again. A server asking for a longer wait (Retry-After) gets
# its answer as the fetch's error, with retry_after set: a poll round (every 30 s) or a user would
# otherwise be held, and the poller moves that feed's next poll to the time the server named.
MAX_RETRY_WAIT = 30.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Only encodings decoded here; brotli would need an extra package.
_ACCEPT_ENCODING = "gzip, deflate"

Guard = Callable[[str], Awaitable[object]]


class FetchError(Exception):
    """A fetch failed; str(exc) is a short message fit to show users."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _TransientError(FetchError):
    """A failure worth retrying: connection trouble, timeouts, 5xx and 429."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status


@dataclass
class _Deadline:
    at: float  # the event loop's time by which a fetch must be done


def _worth_retrying_now(error: BaseException) -> bool:
    """Connection trouble, timeouts, 5xx and 429, unless the server asks for a longer wait than MAX_RETRY_WAIT."""
    return isinstance(error, _TransientError) and (error.retry_after or 0) <= MAX_RETRY_WAIT


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int  # 200 or 304; 200 for file: URLs
    body: bytes | None  # None on 304
    content_type: str | None  # the raw header, charset included
    etag: str | None
    last_modified: str | None


def create_session(settings: FetchSettings) -> aiohttp.ClientSession:
    """The one HTTP session of the process (call inside the running event loop)."""
    return aiohttp.ClientSession(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
        # sock_connect rather than connect: waiting for a free pooled connection is not a timeout.
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=settings.connect_timeout, sock_read=settings.read_timeout
        ),
        connector=aiohttp.TCPConnector(limit=settings.concurrency),
        # Bodies are inflated by Fetcher so the size cap holds for the decompressed bytes too.
        auto_decompress=False,
    )


class _HostGate:
    """At most `slots` requests in flight to one host, their starts spaced `delay` seconds apart.

    A host that let a fetch run out of time gets no new request for a while: the requests queued
    for it (say, the article pages a feed links to) fail at once instead of each taking the whole
    deadline in turn.
    """

    def __init__(self, slots: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._delay = delay
        self._next_start = 0.0
        self.too_slow_until = 0.0  # event loop time

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        async with self._slots:
            now = asyncio.get_running_loop().time()
            if now < self.too_slow_until:
                raise FetchError(f"not tried: {host} ran out of time on another request a moment ago")
            start = max(now, self._next_start)
            self._next_start = start + self._delay  # reserved before sleeping, so waiters queue up
            if start > now:
                await asyncio.sleep(start - now)
            yield


# A turn at a host shared with other processes, entered after this process's own (_HostGate): the
# host's limits then hold for all of them together.
SharedHostTurn = Callable[[str], AbstractAsyncContextManager[object]]


class Fetcher:
    def __init__(self, session: aiohttp.ClientSession, settings: FetchSettings, *, backoff: float = 1.0,
                 shared_turn: SharedHostTurn | None = None) -> None:
        """`backoff` is the first retry wait in seconds; it doubles per retry unless Retry-After says otherwise."""
        self._session = session
        self._settings = settings
        self._shared_turn = shared_turn or (lambda host: nullcontext())
        self._backoff = wait_exponential(multiplier=backoff, max=MAX_RETRY_WAIT)
        self._gates: dict[str, _HostGate] = {}

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_file: bool = False,
        expect: Literal["feed", "page"] = "feed",
        guard: Guard | None = None,
    ) -> FetchResult:
        """Fetch a feed or page; raise FetchError.

        The Accept header asks for feed or page types according to `expect`. `guard` is awaited with every URL
        the request goes to, redirects included, and refuses one by raising UnsafeURLError
        (e.g. `functools.partial(check_public_url, allow_private=False)`).
        """
        if _is_file_url(url):
            if not allow_file:
                raise FetchError("file: URLs are not allowed here")
            return await self._fetch_file(url, expect)
        headers = {"Accept": FEED_ACCEPT if expect == "feed" else PAGE_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.retries + 1),
            wait=self._retry_wait,
            retry=retry_if_exception(_worth_retrying_now),
        )
        deadline = _Deadline(asyncio.get_running_loop().time() + self._settings.total_timeout)
        try:
            result = await retrying(self._follow, url, headers, expect, guard, deadline)
        except RetryError as exhausted:
            raise _give_up(exhausted) from None
        except _TransientError as later:  # the server asked for more than MAX_RETRY_WAIT
            raise FetchError(f"{later}, retry after {later.retry_after:.0f} s", retry_after=later.retry_after) from None
        if result.status == 304:
            # Servers need not repeat the validators on a 304; the caller's still hold.
            return replace(result, etag=result.etag or etag, last_modified=result.last_modified or last_modified)
        return result

    def _retry_wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, FetchError) and error.retry_after is not None:
            return error.retry_after  # at most MAX_RETRY_WAIT: see _worth_retrying_now
        return self._backoff(state)

    async def _follow(
        self, url: str, headers: dict[str, str], expect: str, guard: Guard | None, deadline: _Deadline
    ) -> FetchResult:
        """One attempt: the request and its redirects, each hop queued at its own host."""
        try:
            target = URL(url)
        except ValueError:
            raise FetchError(f"not a valid URL: {url}") from None
        for _hop in range(self._settings.max_redirects + 1):
            if target.scheme not in ("http", "https") or not target.host:
                raise FetchError(f"not an http(s) URL: {target}")
            if guard is not None:
                try:
                    await guard(str(target))
                except UnsafeURLError as exc:
                    raise FetchError(str(exc)) from None
            loop = asyncio.get_running_loop()
            queued_at = loop.time()
            gate = self._gate(target.host)
            async with gate.turn(target.host), self._shared_turn(target.host):
                deadline.at += loop.time() - queued_at  # a wait for the host's turn is politeness, not slowness
                try:
                    async with asyncio.timeout_at(deadline.at):
                        location = await self._request(target, headers, expect)
                except TimeoutError:
                    gate.too_slow_until = loop.time() + self._settings.total_timeout
                    raise FetchError(f"no complete answer within {self._settings.total_timeout:g} s") from None
            if isinstance(location, FetchResult):
                return location
            target = location
        raise FetchError("too many redirects")

    def _gate(self, host: str) -> _HostGate:
        if host not in self._gates:
            self._gates[host] = _HostGate(self._settings.per_host, self._settings.host_delay)
        return self._gates[host]

    async def _request(self, target: URL, headers: dict[str, str], expect: str) -> FetchResult | URL:
        """A single HTTP exchange: the result, or the URL a redirect points to."""
        try:
            async with self._session.get(target, headers=headers, allow_redirects=False) as response:
                status = response.status
                if status in _REDIRECTS and "Location" in response.headers:
                    return _redirect_target(target, response.headers["Location"])
                if status == 429 or status >= 500:
                    raise _TransientError(
                        f"HTTP {status}", status=status, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
                    )
                if status != 304 and not 200 <= status < 300:
                    raise FetchError(f"HTTP {status}")
                content_type = response.headers.get("Content-Type")
                body = None
                if status != 304:
                    if expect == "page":
                        _check_page_type(response.content_type if content_type else None)
                    body = await self._read_body(response)
                return FetchResult(
                    url=str(response.url),
                    status=status,
                    body=body,
                    content_type=content_type,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except aiohttp.ClientSSLError as exc:
            raise FetchError(f"TLS problem: {_tls_reason(exc)}") from None
        except aiohttp.ConnectionTimeoutError:
            raise _TransientError(f"cannot connect: timed out after {self._settings.connect_timeout:g} s") from None
        except (aiohttp.ServerTimeoutError, TimeoutError):
            raise _TransientError(f"timed out after {self._settings.read_timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise _TransientError(f"cannot connect: {_reason(exc)}") from None
        except aiohttp.InvalidURL:
            raise FetchError(f"not a valid URL: {target}") from None
        except aiohttp.ClientError as exc:
            raise _TransientError(f"connection failed: {_reason(exc)}") from None

    async def _read_body(self, response: aiohttp.ClientResponse) -> bytes:
        """Read the body, refusing it once the wire bytes or the inflated bytes pass max_bytes."""
        limit = self._settings.max_bytes
        if response.content_length is not None and response.content_length > limit:
            raise self._too_large()
        decoder = _decoder_for(response.headers.get("Content-Encoding"))
        body = bytearray()
        received = 0
        try:
            async for chunk in response.content.iter_chunked(_CHUNK):
                received += len(chunk)
                if received > limit:
                    raise self._too_large()
                if decoder is None:
                    body += chunk
                    continue
                # Ask for one byte more than the room left: getting it proves the cap is crossed
                # without inflating the rest of a compression bomb.
                body += decoder.decompress(chunk, limit - len(body) + 1)
                if len(body) > limit:
                    raise self._too_large()
            if decoder is not None:
                body += decoder.flush()
        except zlib.error:
            raise FetchError("corrupt compressed response") from None
        if len(body) > limit:
            raise self._too_large()
        return bytes(body)

    def _too_large(self) -> FetchError:
        return FetchError(f"response larger than {self._settings.max_bytes / 1_000_000:.1f} MB")

    async def _fetch_file(self, url: str, expect: str) -> FetchResult:
        path = _file_path(url)
        body = await asyncio.to_thread(_read_file, path, self._settings.max_bytes)
        if body is None:
            raise self._too_large()
        content_type, _encoding = mimetypes.guess_type(path.name)
        if expect == "page":
            _check_page_type(content_type)
        return FetchResult(
            url=path.absolute().as_uri(),
            status=200,
            body=body,
            content_type=content_type,
            etag=None,
            last_modified=None,
        )


def _give_up(exhausted: RetryError) -> FetchError:
    error = exhausted.last_attempt.exception()
    assert isinstance(error, _TransientError)
    tries = exhausted.last_attempt.attempt_number
    if tries == 1:
        return FetchError(str(error), retry_after=error.retry_after)
    suffix = f" after {tries} tries" if error.status else f" ({tries} tries)"
    return FetchError(f"{error}{suffix}", retry_after=error.retry_after)


def _redirect_target(current: URL, location: str) -> URL:
    try:
        return current.join(URL(location))
    except ValueError:
        raise FetchError(f"redirect to an invalid URL: {location}") from None


def _decoder_for(content_encoding: str | None) -> zlib._Decompress | None:
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return None
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # | 32: accept either a gzip or a zlib header
    raise FetchError(f"unsupported content encoding: {content_encoding}")


def _check_page_type(mimetype: str | None) -> None:
    """Refuse bodies that are clearly not text, HTML, XML or JSON (images, PDFs, archives...)."""
    if mimetype is None:
        return
    mimetype = mimetype.lower()
    if mimetype.startswith("text/") or any(kind in mimetype for kind in ("html", "xml", "json")):
        return
    raise FetchError(f"not a web page or feed: {mimetype}")


def _reason(exc: aiohttp.ClientError) -> str:
    os_error = getattr(exc, "os_error", None)
    if os_error is None:
        return str(exc) or type(exc).__name__
    # asyncio words a refused connection as "Connect call failed (...)"; the errno says it plainly.
    if os_error.errno and os_error.errno > 0:
        return os.strerror(os_error.errno)
    return os_error.strerror or str(os_error)


def _tls_reason(exc: aiohttp.ClientSSLError) -> str:
    error = getattr(exc, "certificate_error", None) or exc.os_error
    # "certificate has expired" / "WRONG_VERSION_NUMBER" rather than the whole OpenSSL line.
    return getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)


def _is_file_url(url: str) -> bool:
    return url.startswith("file:") or url.startswith("/")


def _file_path(url: str) -> Path:
    if not url.startswith("file:"):
        return Path(url)
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"not a local file: {url}")
    return Path(url2pathname(parts.path))


def _read_file(path: Path, limit: int) -> bytes | None:
    """The file's bytes, or None when it is larger than `limit`."""
    # is_file() first: opening a FIFO or device could block or never end.
    if not path.is_file():
        raise FetchError(f"not a file: {path}")
    try:
        with path.open("rb") as handle:
            body = handle.read(limit + 1)
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
    return None if len(body) > limit else body
