"""Measure story grouping on a labelled set of articles.

Usage: .venv/bin/python bench/story_grouping.py [FILE.jsonl] [--synthetic N]

FILE.jsonl (default tests/data/stories.jsonl) has one article per line:
{"id", "story", "language", "outlet", "title", "published", "text"}. The Parler sample corpus
(shared/corpus/parler) joins it as one more story. Its articles carry no date, so they are given
publication times inside the set's time range: they compete with the other stories.

The articles are grouped twice, all at once and incrementally in publication order, five at a time,
and pair precision and recall are measured against the labels: a pair of articles counts as
grouped when both land in one story. Prints one JSON object. With --synthetic N it instead times
assign_stories on N generated articles.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stories.grouping import Document, assign_stories  # noqa: E402

PARLER = ROOT.parent / "shared" / "corpus" / "parler"
PARLER_STORY = "parler"
BATCH = 5


def load_labelled(path: Path) -> tuple[list[Document], dict[int, str]]:
    """Documents keyed by line number, and the story label of each key."""
    documents, labels = [], {}
    for key, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        documents.append(Document(key, row["title"], row["text"], row["language"], published))
        labels[key] = row["story"]
    return documents, labels


def load_parler(first_key: int, published: datetime) -> list[Document]:
    """The Parler articles, their first line as title, an hour apart from `published` on."""
    manifest = json.loads((PARLER / "manifest.json").read_text(encoding="utf-8"))
    documents = []
    for offset, article in enumerate(manifest["articles"]):
        title, _, text = (PARLER / article["file"]).read_text(encoding="utf-8").strip().partition("\n")
        moment = published + timedelta(hours=offset)
        documents.append(Document(first_key + offset, title, text, article["language"], moment))
    return documents


def group_all_at_once(documents: Sequence[Document]) -> list[list[int]]:
    return assign_stories(documents, {}).new_stories


def group_incrementally(documents: Sequence[Document], batch: int = BATCH) -> list[list[int]]:
    """Feed the documents in publication order, `batch` at a time, as the bot does."""
    ordered = sorted(documents, key=lambda document: (document.published, document.key))
    stories: dict[int, list[Document]] = {}
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        by_key = {document.key: document for document in chunk}
        assignment = assign_stories(chunk, stories)
        for key, story_id in assignment.to_existing.items():
            stories[story_id].append(by_key[key])
        for keys in assignment.new_stories:
            stories[len(stories)] = [by_key[key] for key in keys]
    return [[document.key for document in members] for members in stories.values()]


def pair_scores(groups: Sequence[Sequence[int]], labels: dict[int, str]) -> dict[str, float]:
    found = {frozenset(pair) for group in groups for pair in itertools.combinations(group, 2)}
    true = {
        frozenset((a, b))
        for a, b in itertools.combinations(sorted(labels), 2)
        if labels[a] == labels[b]
    }
    hits = len(found & true)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pair_precision": round(precision, 3), "pair_recall": round(recall, 3), "pair_f1": round(f1, 3)}


def measure(path: Path) -> dict[str, object]:
    documents, labels = load_labelled(path)
    if PARLER.is_dir():
        middle = sorted(document.published for document in documents)[len(documents) // 2]
        parler = load_parler(max(labels) + 1, middle)
        documents += parler
        labels.update({document.key: PARLER_STORY for document in parler})
    parler_keys = {key for key, story in labels.items() if story == PARLER_STORY}

    started = time.perf_counter()
    at_once = group_all_at_once(documents)
    seconds = time.perf_counter() - started
    incremental = group_incrementally(documents)

    return {
        "articles": len(documents),
        "languages": sorted({document.language for document in documents if document.language}),
        "stories_true": len(set(labels.values())),
        "stories_found": len(at_once),
        **pair_scores(at_once, labels),
        "incremental": {"stories_found": len(incremental), **pair_scores(incremental, labels)},
        "parler_one_story": bool(parler_keys) and any(set(group) == parler_keys for group in at_once),
        "seconds": round(seconds, 3),
    }


def synthetic(count: int, seed: int = 7) -> tuple[list[Document], dict[int, str]]:
    """`count` made-up articles of 250 words, four per story, published over three days, and their labels.

    Words follow a Zipf distribution, as in real text; each story has its own names, rarer words
    and numbers, which its articles mix with common words.
    """
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(50_000)]
    zipf = [1 / rank for rank in range(1, len(vocabulary) + 1)]
    start = datetime.fromisoformat("2026-11-20T00:00:00+00:00")
    documents, labels = [], {}
    for story in range(max(1, count // 4)):
        names = [word.capitalize() for word in rng.sample(vocabulary[5_000:], 4)]
        topic = rng.sample(vocabulary[1_000:], 25)
        figures = [str(rng.randint(10, 99_999)) for _ in range(3)]
        moment = start + timedelta(minutes=rng.randint(0, 72 * 60))
        for _ in range(min(4, count - len(documents))):
            words = rng.choices(vocabulary, weights=zipf, k=200) + rng.choices(topic, k=40)
            words += rng.choices(names, k=8) + rng.sample(figures, 2)
            rng.shuffle(words)
            title = " ".join([names[0], *rng.sample(topic, 5)])
            published = moment + timedelta(minutes=rng.randint(0, 600))
            labels[len(documents)] = str(story)
            documents.append(Document(len(documents), title, " ".join(words) + ".", "en", published))
    return documents, labels


def measure_synthetic(count: int) -> dict[str, object]:
    documents, labels = synthetic(count)
    started = time.perf_counter()
    found = group_all_at_once(documents)
    seconds = time.perf_counter() - started
    return {
        "articles": len(documents),
        "stories_true": len(set(labels.values())),
        "stories_found": len(found),
        **pair_scores(found, labels),
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT / "tests" / "data" / "stories.jsonl")
    parser.add_argument("--synthetic", type=int, metavar="N", help="time N generated articles instead")
    arguments = parser.parse_args()
    result = measure_synthetic(arguments.synthetic) if arguments.synthetic else measure(arguments.file)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
