"""/summarize: a summary of a link or a text, in the user's language, within the user's and the bot's limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import partial
from math import ceil

from bot.metrics import Metrics
from bot.resources import Resources
from bot.usecases.refusal import Refusal
from summarizer import (
    SummarizerError,
    SummaryRequest,
    UnsupportedInputError,
    is_supported,
    source_text,
    trim_to_sentences,
)
from web.extract import ExtractError, extract_article
from web.fetch import FetchError
from web.pool import ParseFailed
from web.urlguard import UnsafeURLError, check_public_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """How much of the model one user, and everyone together, may ask for."""

    per_minute: int = 5  # /summarize requests per user per minute
    slots: int = 2  # requests summarised at once (the model batches them)
    max_waiting: int = 10  # requests that may wait for a slot; more are asked to come back later
    max_input_chars: int = 20_000  # longer texts are summarised from their beginning


@dataclass(frozen=True)
class Source:
    """What a user asked to have summarised: a link, or the text itself."""

    url: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class UserSummary:
    summary: str  # the summary; when `checked` is False, the text's own opening instead
    source_language: str
    url: str | None  # the page summarised, for a link
    title: str | None
    partial: bool  # only the beginning of a long text was summarised
    checked: bool = True  # False: no summary passed the checks against the text


class _PerUser:
    """One request at a time per user, and at most `per_minute` a minute."""

    def __init__(self, per_minute: int) -> None:
        self._per_minute = per_minute
        self._recent: dict[int, deque[float]] = {}
        self._busy: set[int] = set()

    @contextmanager
    def hold(self, user_id: int) -> Iterator[None]:
        if user_id in self._busy:
            raise Refusal("one_at_a_time")
        now = time.monotonic()
        # Forget users quiet for a minute, so the table only holds the active ones.
        self._recent = {uid: times for uid, times in self._recent.items() if times[-1] > now - 60}
        recent = self._recent.setdefault(user_id, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self._per_minute:
            raise Refusal("rate_limited", seconds=ceil(recent[0] + 60 - now))
        recent.append(now)
        self._busy.add(user_id)
        try:
            yield
        finally:
            self._busy.discard(user_id)


class WaitingLine:
    """At most `slots` requests run at once; up to `max_waiting` more wait their turn, first come first served.

    This is where a busy bot says so: the model's own queue makes callers wait, and only requests
    admitted here (and digest jobs) reach it.
    """

    def __init__(self, slots: int, max_waiting: int) -> None:
        self._free = slots
        self._max_waiting = max_waiting
        self._line: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @asynccontextmanager
    async def turn(self, on_wait: Callable[[int], Awaitable[None]]) -> AsyncIterator[None]:
        """Run the block in a free slot; `on_wait(position)` is awaited first when the request has to queue."""
        if self._free and not self._line:
            self._free -= 1
        else:
            if len(self._line) >= self._max_waiting:
                raise Refusal("busy")
            ticket = asyncio.get_running_loop().create_future()
            self._line.append(ticket)
            try:
                await on_wait(len(self._line))
                await ticket
            except BaseException:
                if ticket.done() and not ticket.cancelled():
                    self._release()  # the slot was handed over just as this request gave up: pass it on
                else:
                    ticket.cancel()
                    self._line.remove(ticket)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._line:
            ticket = self._line.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self._free += 1


class Summaries:
    def __init__(self, resources: Resources, metrics: Metrics, limits: Limits) -> None:
        self._resources = resources
        self._metrics = metrics
        self._limits = limits
        self._users = _PerUser(limits.per_minute)
        self._line = WaitingLine(limits.slots, limits.max_waiting)
        self._guard = partial(check_public_url, allow_private=resources.settings.security.allow_private_urls)
        self._max_chars = resources.settings.model.max_chars

    @property
    def waiting(self) -> int:
        return self._line.waiting

    async def summarize(
        self, user_id: int, source: Source, language: str, *, on_wait: Callable[[int], Awaitable[None]]
    ) -> UserSummary:
        """A summary in `language` of a page or a text."""
        with self._users.hold(user_id):
            async with self._line.turn(on_wait):
                if source.url:
                    url, title, text = await self._read_page(source.url)
                else:
                    url, title, text = None, None, source.text or ""
                return await self._summarize(text, language, url=url, title=title)

    async def _read_page(self, url: str) -> tuple[str, str | None, str]:
        try:
            url = await self._guard(url)
        except UnsafeURLError as exc:
            raise Refusal("unsafe_link", reason=str(exc)) from None
        try:
            page = await self._resources.fetcher.fetch(url, expect="page", guard=self._guard)
            article = await self._resources.parsers.run(extract_article, page.body or b"", url=page.url)
        except FetchError as exc:
            raise Refusal("fetch_failed", reason=str(exc)) from None
        except (ExtractError, ParseFailed):  # no article text, or a page the parser could not survive
            raise Refusal("no_article") from None
        title = article.title
        return article.canonical_url or page.url, title, source_text(title, article.text)

    async def _summarize(self, text: str, language: str, *, url: str | None, title: str | None) -> UserSummary:
        summarizer = self._resources.summarizer
        if summarizer is None:
            raise Refusal("model_loading")
        limit = self._limits.max_input_chars
        request = SummaryRequest.of(text[:limit], language if is_supported(language) else None, self._max_chars)
        try:
            [summary] = await summarizer.summarize([request])
        except UnsupportedInputError as exc:
            raise Refusal("cannot_summarize", reason=str(exc)) from None
        except SummarizerError as exc:
            log.warning("summary failed: %s", exc)
            raise Refusal("model_failed") from None
        partial = len(text) > limit
        if summary.withheld:
            # Nothing unchecked is said: the text's own opening, in its own language.
            log.info("summary withheld (%s); answering with the opening", "; ".join(summary.withheld))
            opening = trim_to_sentences(text.removeprefix(f"{title}\n") if title else text, self._max_chars)
            if not opening:
                raise Refusal("no_summary")
            return UserSummary(opening, summary.source_language, url, title, partial, checked=False)
        self._metrics.observe_summary(summary.seconds)
        return UserSummary(summary.summary, summary.source_language, url, title, partial)
