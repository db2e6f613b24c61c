"""Measure each stage of building a digest from a store of 2,000 multilingual articles.

Usage: .venv/bin/python bench/digest_build.py [--stories N] [--threads N] [--synthetic]

The articles are written from tests/data/stories.jsonl: 14 stories told by 18 outlets in six
languages. Each story is repeated every eight days with its numbers changed: further apart than
the grouping window (72 h) and the week in which the poller looks for near-identical copies, so
every repeat is a story of its own and its texts are new articles. Every story gets five articles; one told by fewer outlets is filled up with rewrites (the same paragraphs in
another order) from other outlets of the same language, as papers rework agency copy. Each outlet
is a JSON Feed file in a temporary folder, polled by the project's Poller into a fresh SQLite store.

Stages timed: poll (fetch, parse, language detection, insert), embed (the offline embedder's
vectors of every article, stored), group (group_new_articles over the stored vectors),
choose (choose_stories for one English channel), topic_words (embedding a channel's topics and
the contrast topics, once for the process), choose_by_topic (choose_stories for a channel that
includes one topic and excludes another, from the stored vectors; only the stories of the
story window, a few of the 2,000 articles), topic_decision (Topics.stories_topics for the same two
topics over every stored story: all the articles), summarise (StorySummaries with a stand-in model
that returns the first sentence of its source, so the time is the pipeline's own: cleaning,
language checks, grounding, the summary cache) and format (render_digest).

With --synthetic no model is loaded: each text's vector is a unit vector of the offline model's
width drawn from a hash of the text. Embedding then costs nothing and every article is a story of
its own (the most stories to decide for); every other stage runs the project's code on those
vectors. The numbers of stories it chooses mean nothing then, only its times.

Prints one JSON object with seconds per stage, articles, stories and peak_rss_mb.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.common import HashedEmbedder, machine  # noqa: E402
from bot.digest.choose import channel_topics, choose_stories  # noqa: E402
from bot.digest.contrast_topics import CONTRAST_TOPICS  # noqa: E402
from bot.digest.items import build_item  # noqa: E402
from bot.digest.summaries import StorySummaries  # noqa: E402
from bot.digest.topics import Topics  # noqa: E402
from bot.feeds import fingerprint  # noqa: E402
from bot.feeds.poll import Poller, poll_all  # noqa: E402
from bot.feeds.teaser import TEASER_CHARS  # noqa: E402
from bot.store.db import open_store  # noqa: E402
from bot.store.queries import channel_fields  # noqa: E402
from bot.store.tables import Article, Channel, Feed, Story  # noqa: E402
from bot.stories.assign import article_vectors, group_new_articles  # noqa: E402
from bot.telegram.render import render_digest  # noqa: E402
from config.settings import ChannelSettings, FetchSettings  # noqa: E402
from summarizer import Backend, Summarizer  # noqa: E402
from summarizer.cli.bench import peak_rss_mb  # noqa: E402
from summarizer.embeddings import load_embedder  # noqa: E402
from summarizer.text import split_sentences  # noqa: E402
from web.fetch import Fetcher, create_session  # noqa: E402
from web.pool import ParsePool  # noqa: E402

ARTICLES = ROOT / "tests" / "data" / "stories.jsonl"
TOPIC_FILTERS = ("economy, business and finance", "crime and courts")  # included, excluded
ARTICLES_PER_STORY = 5
REPEAT_EVERY = timedelta(days=8)  # longer than the sample's own span (five days): repeats never overlap
REWRITE_DELAY = timedelta(hours=2)
STAND_IN = "first-sentence stand-in (model time excluded; see summarizer bench)"
_NUMBER = re.compile(r"\d+")


class FirstSentence(Backend):
    """A stand-in model: its "summary" is the first sentence of what it is given."""

    model_name = "first-sentence-stand-in"
    backend_name = "stand-in"

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt(self, source: str, language: str, max_chars: int, variant: int) -> str:
        return source

    async def generate(self, prompt: str, max_new_tokens: int) -> str:
        return split_sentences(prompt)[0]


@dataclass(frozen=True)
class Samples:
    templates: list[list[dict]]  # the sample articles, story by story
    outlets: dict[str, list[str]]  # language -> its outlets

    @classmethod
    def load(cls) -> Samples:
        rows = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line]
        by_story: dict[str, list[dict]] = defaultdict(list)
        outlets: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            by_story[row["story"]].append(row)
            if row["outlet"] not in outlets[row["language"]]:
                outlets[row["language"]].append(row["outlet"])
        return cls([by_story[story] for story in sorted(by_story)], outlets)


def shifted(text: str, repeat: int) -> str:
    """The text with every number raised by `repeat`: each repeat of a story has its own figures."""
    return _NUMBER.sub(lambda match: str(int(match.group()) + repeat), text)


def story_items(number: int, samples: Samples) -> list[tuple[str, dict]]:
    """Story `number` as (outlet, JSON Feed item) pairs: its template's articles, then rewrites."""
    template = samples.templates[number % len(samples.templates)]
    repeat = number // len(samples.templates)
    items = []
    for position in range(ARTICLES_PER_STORY):
        row = template[position % len(template)]
        rewrites = position // len(template)  # 0 for the template's own articles
        same_language = samples.outlets[row["language"]]
        outlet = same_language[(same_language.index(row["outlet"]) + rewrites) % len(same_language)]
        paragraphs = row["text"].split("\n\n")
        turn = rewrites % len(paragraphs)  # a rewrite has the same paragraphs in another order
        text = shifted("\n\n".join(paragraphs[turn:] + paragraphs[:turn]), repeat)
        # Full texts only: a teaser would make the poller fetch its made-up link.
        assert len(text) >= TEASER_CHARS, row["id"]
        published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        published += repeat * REPEAT_EVERY + rewrites * REWRITE_DELAY
        items.append((outlet, {
            "id": f"{number}-{position}",
            "url": f"https://{row['language']}{same_language.index(outlet)}.example/{number}/{position}",
            "title": shifted(row["title"], repeat),
            "content_text": text,
            "date_published": published.isoformat(),
        }))
    return items


def write_feeds(folder: Path, stories: int) -> dict[str, Path]:
    """One JSON Feed file per outlet; returns outlet name -> file."""
    samples = Samples.load()
    items: dict[str, list[dict]] = defaultdict(list)
    for number in range(stories):
        for outlet, item in story_items(number, samples):
            items[outlet].append(item)
    files = {}
    for number, (outlet, entries) in enumerate(sorted(items.items())):
        path = folder / f"outlet-{number}.json"
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": outlet, "items": entries}
        path.write_text(json.dumps(feed, ensure_ascii=False), encoding="utf-8")
        files[outlet] = path
    return files


async def measure(folder: Path, stories: int, threads: int | None, synthetic: bool) -> dict[str, object]:
    feeds = write_feeds(folder, stories)
    engine, sessions = await open_store(f"sqlite+aiosqlite:///{folder}/bench.db")
    seconds: dict[str, float] = {}

    def lap(stage: str, started: float) -> None:
        seconds[stage] = round(time.perf_counter() - started, 3)

    try:
        async with sessions() as session:
            session.add_all(Feed(name=outlet, url=path.as_uri()) for outlet, path in feeds.items())
            session.add(Channel(chat="@bench_en", **channel_fields(ChannelSettings(chat="@bench_en"))))
            await session.commit()
            rows = list(await session.scalars(select(Feed)))
            channel = await session.scalar(select(Channel))
        settings = FetchSettings()
        async with create_session(settings) as http, ParsePool(preload=fingerprint.PRELOAD) as parsers:
            poller = Poller(sessions, Fetcher(http, settings), parsers)
            started = time.perf_counter()
            outcomes = await poll_all(poller, rows, settings.concurrency)
            lap("poll", started)
        errors = [f"{outcome.feed}: {outcome.error}" for outcome in outcomes if outcome.error]
        if errors:
            raise SystemExit(f"polling the sample feeds failed: {errors}")

        embedder = HashedEmbedder() if synthetic else await asyncio.to_thread(load_embedder, "offline", threads=threads)
        async with sessions() as session:
            started = time.perf_counter()
            originals = await session.scalars(select(Article).where(Article.duplicate_of.is_(None)))
            await article_vectors(session, embedder, list(originals))
            lap("embed", started)
            started = time.perf_counter()
            await group_new_articles(session, embedder)
            lap("group", started)
            articles = await session.scalar(select(func.count()).select_from(Article))
            copies = await session.scalar(select(func.count()).where(Article.duplicate_of.is_not(None)))
            grouped = await session.scalar(select(func.count()).select_from(Story))

            started = time.perf_counter()
            chosen = await choose_stories(session, channel)
            lap("choose", started)

            # Topic filters: the words and contrast topics are embedded once for the process, then
            # each digest decides from the stored vectors.
            topics = Topics(embedder)
            started = time.perf_counter()
            await topics.vectors([*TOPIC_FILTERS, *(phrase for group in CONTRAST_TOPICS.values() for phrase in group)])
            lap("topic_words", started)
            filtered = Channel(id=channel.id + 1, chat="@bench_topics", **channel_fields(ChannelSettings(
                chat="@bench_topics", include=[{"topic": TOPIC_FILTERS[0]}], exclude=[{"topic": TOPIC_FILTERS[1]}])))
            stored = await session.scalars(select(Story).options(selectinload(Story.articles)))
            every_story = [story.articles for story in stored]
            started, cpu_started = time.perf_counter(), time.process_time()
            decided = await topics.stories_topics(session, every_story, channel_topics(filtered))
            lap("topic_decision", started)
            decision = {
                "stories": len(every_story),
                "articles": sum(map(len, every_story)),
                "cpu_seconds": round(time.process_time() - cpu_started, 3),
                "stories_on_a_topic": sum(1 for on in decided if on),
            }

            started = time.perf_counter()
            on_topic = await choose_stories(session, filtered, topics)
            lap("choose_by_topic", started)

        summaries = StorySummaries(sessions, Summarizer(FirstSentence()), max_chars=400)
        started = time.perf_counter()
        # Concurrently, as the digest use case asks for them.
        built = await asyncio.gather(*(build_item(summaries, story.articles, channel.language) for story in chosen))
        items = [item for item in built if item is not None]
        lap("summarise", started)

        started = time.perf_counter()
        messages = render_digest(items, channel.language)
        lap("format", started)
    finally:
        await engine.dispose()
    return {
        "articles": articles,
        "copies": copies,  # articles stored as copies of another: they join its story, ungrouped
        "stories": grouped,
        "stories_generated": stories,
        "feeds": len(feeds),
        "chosen_stories": len(chosen),
        "chosen_by_topic": len(on_topic),
        "topic_decision": decision,
        "embedder": embedder.model_id,
        "messages": len(messages),
        "summarizer": STAND_IN,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=400, help=f"stories of {ARTICLES_PER_STORY} articles each")
    parser.add_argument("--threads", type=int, default=None, help="embedder threads (default: every core)")
    parser.add_argument("--synthetic", action="store_true", help="hashed random vectors instead of the offline model")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as folder:
        result = asyncio.run(measure(Path(folder), arguments.stories, arguments.threads, arguments.synthetic))
    report = {"machine": machine(), **result, "peak_rss_mb": round(peak_rss_mb(), 1)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
