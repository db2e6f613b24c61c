"""The process's shared resources, created once and closed once: store, HTTP session, parse pool, models."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.feeds import fingerprint
from bot.feeds.poll import Poller
from bot.store.db import open_store
from bot.store.queries import sync_config
from bot.store.work_claims import WorkClaims
from config.settings import Settings
from summarizer import EmbeddingSupport, EntailmentCheck, Gate, Summarizer, load_backend
from summarizer.embeddings import Embedder, load_embedder
from web.fetch import Fetcher, create_session
from web.pool import ParsePool

log = logging.getLogger(__name__)


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: aiohttp.ClientSession
    fetcher: Fetcher
    parsers: ParsePool
    poller: Poller
    summarizer: Summarizer | None = None
    embedder: Embedder | None = None
    # Work shared with other bot processes on the same PostgreSQL database (none on SQLite).
    claims: WorkClaims | None = None

    async def load_model(self) -> Summarizer:
        """The configured model and gate. Blocking work (weights, first-run conversion) runs in a worker thread."""
        if self.summarizer is None:
            model, gate = self.settings.model, await self.load_checks()
            backend = await asyncio.to_thread(
                load_backend, model.name, backend=model.backend, base_url=model.base_url,
                api_key=model.api_key, cache_dir=model.cache_dir, timeout=model.timeout,
                threads=model.threads, prompt_style=model.prompt_style,
            )
            self.summarizer = Summarizer(backend, gate, candidates=model.candidates, per_source=model.per_source)
        return self.summarizer

    async def load_checks(self) -> Gate:
        """The gate of every summary: names and numbers, wording, and the configured support checks."""
        trust = self.settings.trust
        checks = []
        if trust.support_threshold is not None:
            checks.append(EmbeddingSupport(
                await self.load_embedder(), trust.support_threshold, across_languages=trust.support_across_languages
            ))
        if trust.verifier:
            checks.append(await asyncio.to_thread(
                EntailmentCheck, trust.verifier, trust.verifier_threshold, cache_dir=trust.cache_dir
            ))
        return Gate(checks, new_words=trust.new_words)

    async def load_embedder(self) -> Embedder:
        """The sentence embedder that groups articles and checks summaries; loaded once, in a worker thread."""
        if self.embedder is None:
            embeddings = self.settings.embeddings
            self.embedder = await asyncio.to_thread(
                load_embedder, embeddings.backend, name=embeddings.name, base_url=embeddings.base_url,
                api_key=embeddings.api_key, prefix=embeddings.prefix, cache_dir=embeddings.cache_dir,
                threads=embeddings.threads, timeout=embeddings.timeout, batch_size=embeddings.batch_size,
            )
        return self.embedder

    async def close(self) -> None:
        if self.summarizer is not None:
            await self.summarizer.aclose()
        if self.embedder is not None:
            await self.embedder.aclose()
        await self.http.close()
        await self.parsers.close()
        if self.claims is not None:
            await self.claims.close()
        await self.engine.dispose()


async def open_resources(settings: Settings, config_path: str | Path | None) -> Resources:
    """Open the store (creating it on first run), sync the config into it, start the HTTP session.

    The parse pool's workers start on first use.
    """
    engine, sessions = await open_store(settings.storage.url)
    config_dir = Path(config_path).resolve().parent if config_path else Path.cwd()
    async with sessions() as session:
        await sync_config(session, settings, config_dir)
    http = create_session(settings.fetch)
    claims = WorkClaims(engine)
    fetch = settings.fetch
    fetcher = Fetcher(http, fetch, shared_turn=lambda host: claims.host_turn(host, fetch.per_host, fetch.host_delay))
    parsers = ParsePool(
        settings.fetch.parse_workers or None, timeout=settings.fetch.parse_timeout, preload=fingerprint.PRELOAD
    )
    poller = Poller(sessions, fetcher, parsers, allow_private_urls=settings.security.allow_private_urls)
    return Resources(settings, engine, sessions, http, fetcher, parsers, poller, claims=claims)
