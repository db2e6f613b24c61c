"""What benchmarks share: the machine a report ran on, a local server in a child process, a
stand-in embedder for stages that only need vectors, and the demo's entries."""

from __future__ import annotations

import asyncio
import hashlib
import os
import platform
import sqlite3
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
from aiohttp import web

from summarizer.embeddings import Embedder
from summarizer.embeddings.base import unit_rows

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_WIDTH = 384  # multilingual-e5-small's vectors


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def serve_forever(app: web.Application, port_out: Connection) -> None:
    """Serve `app` on a free port of 127.0.0.1, send the port to the parent, run until terminated."""

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_out.send(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


class HashedEmbedder(Embedder):
    """A stand-in embedder of the offline model's width: each text's vector is random, seeded by the
    text, so embedding costs nothing and unrelated texts are far apart."""

    model_id = f"synthetic/hashed-{OFFLINE_WIDTH}"
    dimension = OFFLINE_WIDTH

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        seeds = (int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") for text in texts)
        rows = [np.random.default_rng(seed).standard_normal(self.dimension) for seed in seeds]
        return unit_rows(np.array(rows).reshape(len(rows), self.dimension))


def demo_entries() -> list[tuple[str, str, str]]:
    """(language, title, plain text) of the demo's entries: its feeds' and its article pages'."""
    import json

    import feedparser
    import lxml.html

    def plain(html: str) -> str:
        return "\n".join(p.text_content() for p in lxml.html.fromstring(f"<div>{html}</div>").iter("p")) if html else ""

    folder = ROOT / "config" / "demo" / "feeds"
    entries = []
    for path in sorted(folder.glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        language = parsed.feed.get("language", "").split("-")[0].lower()
        for entry in parsed.entries:
            html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary", "")
            if plain(html).strip():
                entries.append((language, entry.get("title", ""), plain(html)))
    for path in sorted(folder.glob("*.json")):
        feed = json.loads(path.read_text())
        entries += [(feed.get("language", "").split("-")[0], item.get("title", ""),
                     item.get("content_text") or plain(item.get("content_html", ""))) for item in feed["items"]]
    for path in sorted((folder / "pages").glob("*.html")):
        page = lxml.html.fromstring(path.read_bytes())
        entries.append((page.get("lang", "").split("-")[0], page.findtext(".//h1") or "", plain(lxml.html.tostring(
            page.find(".//body"), encoding="unicode"))))
    return entries
