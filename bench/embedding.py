"""Measure the offline embedder: articles per second, threads, concurrent callers, memory.

Usage: .venv/bin/python bench/embedding.py [--articles N]

Embeds the title and lead (bot.stories.assign.article_text) of N articles written from
tests/data/stories.jsonl (each text made distinct), one call per 32 articles: with 1 thread, with
2 threads, and from two caller threads at once with 1 and with 2 threads each (OpenMP opens a
team per calling thread, so two callers with 2 threads each run 4 threads), and with 1 thread the
CPU seconds per article by the characters embedded (300 to 1,500) and by texts per call (1 to
128). Also checks that results do not depend on the thread count or on concurrent calls, and that
a Python thread keeps running while the engine works (ctypes releases the GIL). Wall-clock rates
depend on what else runs on the machine; the CPU seconds per article with one thread hardly do,
and give the rate one free core sustains. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import machine  # noqa: E402
from bot.stories.assign import ARTICLE_CHARS, article_text  # noqa: E402
from summarizer.embeddings.offline import OfflineEmbedder  # noqa: E402

ARTICLES = ROOT / "tests" / "data" / "stories.jsonl"
CALL = 32


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def texts(count: int, chars: int = ARTICLE_CHARS) -> list[str]:
    rows = [json.loads(line) for line in ARTICLES.read_text(encoding="utf-8").splitlines() if line]
    return [f"{number} " + article_text(rows[number % len(rows)]["title"], rows[number % len(rows)]["text"], chars)
            for number in range(count)]


def embed_all(embedder: OfflineEmbedder, items: list[str], call: int = CALL) -> np.ndarray:
    return np.concatenate([embedder.embed(items[start : start + call]) for start in range(0, len(items), call)])


def cpu_per_article(embedder: OfflineEmbedder, items: list[str], call: int = CALL) -> float:
    started = time.process_time()
    embed_all(embedder, items, call)
    return round((time.process_time() - started) / len(items), 3)


def timed(embedder: OfflineEmbedder, items: list[str], callers: int) -> tuple[float, list[np.ndarray]]:
    """Articles per second with `callers` threads each embedding all of `items`."""
    results: list[np.ndarray] = [np.empty(0)] * callers
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, embed_all(embedder, items))) for i in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return callers * len(items) / (time.perf_counter() - started), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=128)
    arguments = parser.parse_args()
    items = texts(arguments.articles)
    before = rss_mb()
    started = time.perf_counter()
    embedders = {1: OfflineEmbedder(threads=1)}
    load_s = time.perf_counter() - started
    reference = embed_all(embedders[1], items[:CALL])
    # The weights are memory-mapped: they count once the model has run over them.
    report: dict[str, object] = {"machine": machine(), "model": embedders[1].model_id, "articles": len(items),
                                 "load_s": round(load_s, 3), "rss_mb_after_first_call": round(rss_mb() - before, 1)}
    embedders[2] = OfflineEmbedder(threads=2)
    report["cpu_s_per_article threads=1"] = cpu_per_article(embedders[1], items)
    report["articles_per_s one free core"] = round(1 / report["cpu_s_per_article threads=1"], 1)
    # What the time grows with: the text's length (tokens), not how many texts a call takes.
    report["cpu_s_per_article by characters embedded"] = {
        chars: cpu_per_article(embedders[1], texts(len(items), chars)) for chars in (300, 400, ARTICLE_CHARS, 1500)
    }
    report["cpu_s_per_article by texts per call"] = {call: cpu_per_article(embedders[1], items, call) for call in (1, 8, 32, 128)}
    for threads, embedder in embedders.items():
        for callers in (1, 2):
            rate, results = timed(embedder, items, callers)
            report[f"articles_per_s threads={threads} callers={callers}"] = round(rate, 1)
            report.setdefault("same_vectors_every_way", True)
            report["same_vectors_every_way"] &= all(np.array_equal(result[:CALL], reference) for result in results)
    counter, done = [0], threading.Event()

    def spin() -> None:
        while not done.is_set():
            counter[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    embed_all(embedders[1], items[:CALL])
    done.set()
    spinner.join()
    report["python_thread_ran_during_embedding"] = counter[0] > 1000
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
