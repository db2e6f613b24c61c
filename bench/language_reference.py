"""Write the reference language offsets of an embedding model (summarizer/embeddings/reference/).

Usage: nice -n 5 .venv/bin/python bench/language_reference.py [--threads N]
           [--backend offline|sentence-transformers|openai] [--name MODEL] [--base-url URL]

A store with few articles of a language cannot tell that language's offset from what its few
articles are about; the reference is what it is pulled toward (summarizer.embeddings.languages).
It is measured on the project's own labelled news: tests/data/topics_news.jsonl (19 articles in
each of en de es fr ru pl ar tr, 9 in it and uk, the nine topics spread alike over the languages,
so a language's mean is not one topic's) and tests/data/stories.jsonl, embedded as the bot embeds
articles (bot.stories.assign.article_text). Prints the languages and their text counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stories.assign import article_text  # noqa: E402
from summarizer.embeddings import LanguageCentres, load_embedder  # noqa: E402
from summarizer.embeddings.languages import Reference  # noqa: E402

TEXTS = [ROOT / "tests" / "data" / "topics_news.jsonl", ROOT / "tests" / "data" / "stories.jsonl"]


def reference(embedder) -> Reference:
    rows = [json.loads(line) for path in TEXTS for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = embedder.embed([article_text(row["title"], row["text"]) for row in rows])
    centres = LanguageCentres.estimate(
        embedder.model_id, vectors, [row["language"] for row in rows], prior_texts=0, reference=None
    )
    return Reference(embedder.model_id, centres.overall, dict(centres.offsets), dict(centres.counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--backend", default="offline", choices=["offline", "sentence-transformers", "openai"])
    parser.add_argument("--name", help="embedding model: hub id or directory, or the server's model name")
    parser.add_argument("--base-url", help="the embedding server, for --backend openai")
    arguments = parser.parse_args()
    embedder = load_embedder(arguments.backend, name=arguments.name, base_url=arguments.base_url, threads=arguments.threads)
    found = reference(embedder)
    path = found.save()
    print(json.dumps({"model": found.model_id, "file": str(path.relative_to(ROOT)), "texts": found.counts}))


if __name__ == "__main__":
    main()
