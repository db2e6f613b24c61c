"""Measure topic filters: precision and recall per threshold, with the real offline embedder.

Usage: nice -n 10 .venv/bin/python bench/topics.py [--threads N] [--json]

Every labelled article of tests/data/topics.jsonl (news headlines and leads in seven languages,
each on one of five topics or on none) and the five articles of the shared Parler corpus (one
technology story in four languages, read by path when present) is compared with every topic, the
way the bot compares them: the article's title and lead (bot.stories.assign.article_text) and the
topic's words, both embedded as the bot embeds them. A pair counts as found when its cosine
reaches the threshold. Prints, per threshold, precision, recall and F1 over all pairs and the
articles matched to a wrong topic; then, for comparison, the best threshold when articles are
embedded as e5 "passage: " texts (which the bot does not store).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import machine  # noqa: E402
from bot.stories.assign import article_text  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "topics.jsonl"
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
PARLER_TOPIC = "technology companies and the internet"
THRESHOLDS = [round(0.760 + step / 200, 3) for step in range(11)]  # e5 cosines of related texts lie close together


@dataclass(frozen=True)
class Row:
    threshold: float
    precision: float
    recall: float
    f1: float
    wrong: int  # articles matched to a topic that is not theirs
    missed: int  # on-topic articles matched to none of the topics


def labelled_articles() -> list[tuple[str, str | None]]:
    """(text as embedded, topic or None)."""
    items = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    articles = [(article_text(item["title"], item["text"]), item["topic"]) for item in items]
    if PARLER.is_dir():
        manifest = json.loads((PARLER / "manifest.json").read_text(encoding="utf-8"))
        articles += [(article_text("", (PARLER / entry["file"]).read_text(encoding="utf-8")), PARLER_TOPIC)
                     for entry in manifest["articles"]]
    return articles


def topics_of(articles: list[tuple[str, str | None]]) -> list[str]:
    return sorted({topic for _, topic in articles if topic})


def table(similarity: np.ndarray, labels: list[str | None], topics: list[str]) -> list[Row]:
    """similarity: articles × topics cosines."""
    truth = np.array([[label == topic for topic in topics] for label in labels])
    rows = []
    for threshold in THRESHOLDS:
        found = similarity >= threshold
        hits = int((found & truth).sum())
        precision = hits / found.sum() if found.sum() else 1.0
        recall = hits / truth.sum()
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        wrong = int((found & ~truth).any(axis=1).sum())
        missed = int((truth.any(axis=1) & ~(found & truth).any(axis=1)).sum())
        rows.append(Row(threshold, round(precision, 3), round(recall, 3), round(f1, 3), wrong, missed))
    return rows


def measure(threads: int | None = None) -> dict:
    from summarizer.embeddings.offline import OfflineEmbedder

    embedder = OfflineEmbedder(threads=threads)
    articles = labelled_articles()
    texts, labels = [text for text, _ in articles], [label for _, label in articles]
    topics = topics_of(articles)
    topic_vectors = embedder.embed(topics)
    as_stored = table(embedder.embed(texts) @ topic_vectors.T, labels, topics)
    as_passages = table(embedder._model.passage(texts) @ topic_vectors.T, labels, topics)
    return {
        "model": embedder.model_id,
        "articles": len(articles),
        "on_topic": sum(label is not None for label in labels),
        "topics": topics,
        "rows": [asdict(row) for row in as_stored],
        "best_as_passages": asdict(max(as_passages, key=lambda row: row.f1)),
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    result = measure(args.threads)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(f"{result['model']}: {result['articles']} articles ({result['on_topic']} on a topic), "
          f"{len(result['topics'])} topics")
    print("threshold  precision  recall  F1     wrong-topic  missed")
    for row in result["rows"]:
        print(f"{row['threshold']:<9.3f}  {row['precision']:<9.3f}  {row['recall']:<6.3f}  {row['f1']:<5.3f}  "
              f"{row['wrong']:<11}  {row['missed']}")
    best = result["best_as_passages"]
    print(f"articles as e5 passages instead, best: threshold {best['threshold']:.3f}, precision "
          f"{best['precision']:.3f}, recall {best['recall']:.3f}, F1 {best['f1']:.3f}")


if __name__ == "__main__":
    main()
