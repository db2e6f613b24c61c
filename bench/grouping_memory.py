"""Measure the memory and time of the poll job's grouping as the store grows.

Usage: .venv/bin/python bench/grouping_memory.py [--first N] [--then N] [--until N]

A fresh SQLite store gets `first` new articles (a first poll of 1,000 feeds), which the poll job's
grouping (bot.stories.assign.group_new_articles) puts into stories; then `then` more at a time
(later polls), each grouped in turn, until the store holds `until`. All are published within two
days, so every stored article is in the grouping window of the new ones: the most a window holds.
Texts are about 1 KB, a title and paragraphs of the project's labelled news (tests/data/*.jsonl,
ten languages) drawn at random with their numbers changed, so they share names and numbers as the
news of two busy days do. Vectors come from a hashed stand-in embedder of the offline model's width
(model time excluded; every article is then a story of its own, the most stories to keep).

Prints one JSON object: per round the articles stored and new, seconds, CPU seconds and the
process's peak RSS during the round (Linux: the high-water mark is reset before each round).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import HashedEmbedder, machine  # noqa: E402
from bot.feeds.poll import text_hash  # noqa: E402
from bot.store.db import open_store  # noqa: E402
from bot.store.tables import Article, Feed  # noqa: E402
from bot.stories.assign import group_new_articles  # noqa: E402

SOURCES = [ROOT / "tests" / "data" / name for name in ("stories.jsonl", "topics_news.jsonl")]
ENTRY_CHARS = 1000
SPAN = timedelta(hours=48)
NOW = datetime(2026, 11, 22, tzinfo=UTC)
_NUMBER = re.compile(r"\d+")


class Writer:
    """Articles written from the labelled news: a title of one language over its paragraphs."""

    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)
        self.titles: dict[str, list[str]] = {}
        self.paragraphs: dict[str, list[str]] = {}
        for path in SOURCES:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line:
                    row = json.loads(line)
                    self.titles.setdefault(row["language"], []).append(row["title"])
                    self.paragraphs.setdefault(row["language"], []).extend(
                        paragraph for paragraph in re.split(r"\n\n|(?<=[.!?])\s+", row["text"]) if paragraph
                    )
        self.languages = sorted(self.titles)
        self.written = 0

    def _renumbered(self, text: str) -> str:
        return _NUMBER.sub(lambda _: str(self.random.randrange(1, 5000)), text)

    def article(self, feed_id: int) -> Article:
        language = self.random.choice(self.languages)
        paragraphs: list[str] = []
        while sum(map(len, paragraphs)) < ENTRY_CHARS:
            paragraphs.append(self._renumbered(self.random.choice(self.paragraphs[language])))
        text = " ".join(paragraphs)
        self.written += 1
        return Article(
            feed_id=feed_id, guid=str(self.written), url=f"https://example.org/{self.written}",
            title=self._renumbered(self.random.choice(self.titles[language])), text=text,
            text_hash=text_hash(text), language=language,
            published_at=NOW - SPAN * self.random.random(),
        )


def peak_rss_mb() -> float:
    """The process's resident high-water mark (VmHWM) since the last reset_peak()."""
    status = Path("/proc/self/status").read_text()
    return round(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024, 1)


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: resets VmHWM to the current RSS


async def measure(folder: Path, first: int, then: int, until: int) -> list[dict[str, object]]:
    engine, sessions = await open_store(f"sqlite+aiosqlite:///{folder}/bench.db")
    embedder, writer, rounds = HashedEmbedder(), Writer(), []
    try:
        async with sessions() as session:
            feed = Feed(name="news", url="https://example.org/feed")
            session.add(feed)
            await session.commit()
            feed_id = feed.id
        stored, new = 0, first
        while stored + new <= until:
            async with sessions() as session:
                session.add_all(writer.article(feed_id) for _ in range(new))
                await session.commit()
            reset_peak()
            before = peak_rss_mb()
            started, cpu_started = time.perf_counter(), time.process_time()
            async with sessions() as session:
                stories = await group_new_articles(session, embedder)
            stored += new
            rounds.append({
                "stored": stored, "new": new, "new_stories": stories,
                "seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(time.process_time() - cpu_started, 2),
                "rss_before_mb": before, "peak_rss_mb": peak_rss_mb(),
            })
            print(json.dumps(rounds[-1]), file=sys.stderr)
            new = then
    finally:
        await engine.dispose()
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=10_000, help="articles of the first poll")
    parser.add_argument("--then", type=int, default=2_000, help="articles of each later poll")
    parser.add_argument("--until", type=int, default=20_000, help="articles stored at the end")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as folder:
        rounds = asyncio.run(measure(Path(folder), arguments.first, arguments.then, arguments.until))
    print(json.dumps({"machine": machine(), "rounds": rounds}, indent=2))


if __name__ == "__main__":
    main()
