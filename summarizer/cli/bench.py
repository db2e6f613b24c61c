"""Throughput and latency of a loaded backend: one article at a time, then several in flight.

The articles are those of a corpus folder given on the command line (a manifest.json listing one
file per article, like the shared Parler corpus), else the demo's article pages that ship with the
repository, read through the product's own extractor. Either set is cycled to the requested count.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.backends.pipeline import Summarizer
from summarizer.types import SummaryRequest
from web.extract import extract_article

DEMO_PAGES = Path(__file__).resolve().parents[2] / "config" / "demo" / "feeds" / "pages"


@dataclass(frozen=True)
class Articles:
    texts: list[str]
    origin: str  # where the texts come from, for the report


def manifest_articles(folder: Path) -> list[tuple[str, str]]:
    """(file name, text) of each article a corpus folder's manifest.json lists, in its order."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [(entry["file"], (folder / entry["file"]).read_text(encoding="utf-8")) for entry in manifest["articles"]]


def demo_page_texts(folder: Path = DEMO_PAGES) -> list[str]:
    pages = sorted(folder.glob("*.html"))
    return [extract_article(page.read_bytes(), url=page.as_uri()).text for page in pages]


def bench_articles(count: int, corpus: Path | None = None) -> Articles:
    if corpus is not None:
        texts = [text for _, text in manifest_articles(corpus)]
        origin = f"{corpus.name} corpus ({len(texts)} files)"
    else:
        texts = demo_page_texts()
        origin = f"demo article pages ({len(texts)})"
    return Articles([texts[index % len(texts)] for index in range(count)], origin)


async def run_bench(
    summarizer: Summarizer, articles: Articles, *, concurrency: int, language: str, max_chars: int, load_s: float
) -> dict:
    requests = [SummaryRequest.of(text, language, max_chars) for text in articles.texts]
    # The first call pays for lazy set-up (language models, torch's first allocations); not timed.
    await summarizer.summarize(requests[:1])

    latencies = []
    started = time.monotonic()
    for request in requests:
        call_started = time.monotonic()
        await summarizer.summarize([request])
        latencies.append(time.monotonic() - call_started)
    sequential_s = time.monotonic() - started

    in_flight = asyncio.Semaphore(concurrency)

    async def summarize_limited(request: SummaryRequest) -> None:
        async with in_flight:
            await summarizer.summarize([request])

    started = time.monotonic()
    await asyncio.gather(*(summarize_limited(request) for request in requests))
    concurrent_s = time.monotonic() - started

    sequential_per_min = 60 * len(requests) / sequential_s
    concurrent_per_min = 60 * len(requests) / concurrent_s
    return {
        "model": summarizer.model_name,
        "backend": summarizer.backend.backend_name,
        "articles": len(requests),
        "load_s": round(load_s, 2),
        "p50_s": round(percentile(latencies, 50), 2),
        "p95_s": round(percentile(latencies, 95), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "sequential_articles_per_min": round(sequential_per_min, 2),
        "concurrent_articles_per_min": round(concurrent_per_min, 2),
        "batch_speedup": round(concurrent_per_min / sequential_per_min, 2),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), for any number of values."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
