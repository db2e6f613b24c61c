"""Measure story grouping on labelled data: outside pairs, the project's own cross-lingual
pairs, the 56-article set and the Parler sample.

Usage: .venv/bin/python bench/story_grouping.py [PAIRS.jsonl] [--own FILE] [--stories FILE]
           [--parler DIR] [--old-revision REV] [--cache FILE] [--threads N]
           [--backend offline|sentence-transformers|openai] [--name MODEL] [--base-url URL]

PAIRS.jsonl (default ../shared/data/story_pairs_dev.jsonl) and --own (default
tests/data/story_pairs_own.jsonl) hold labelled pairs, one a line: {"pair", "source",
"same_story", "a": {"lang", "title", "text"}, "b": {...}}. Pairs are measured the way grouping
is used: all articles of a file go into one pool, published together, and are grouped at once;
then each labelled pair counts as together when its two articles landed in one story. Reported
per method, overall, per source and per language pair: pair F1, recall, pairs kept apart (the
share of different-story pairs left apart), the largest story and how many stories mix articles
of pairs that are not labelled as one story. "pair_by_pair" measures the same pairs with each
pair's two articles grouped on their own, as a pair classifier is measured.

--stories (default tests/data/stories.jsonl, one article a line with its story label and
publication time) is grouped with the Parler sample (--parler, five articles of one story, given
times in the middle of the set), all at once and five at a time in publication order: pair
precision, recall and F1 against the labels, and whether the five Parler articles form exactly
one story.

Methods: "old", the grouping without embeddings as of --old-revision (read from git); "fused",
the current grouping (embeddings with names and numbers); "cosine", embeddings alone with one
threshold tuned for F1 on PAIRS. Vectors come from the offline embedder, or the one --backend
and --name give, and are cached in --cache (default ~/.cache/briefbot/story-grouping-vectors.npz).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import subprocess
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stories.assign import article_text  # noqa: E402
from bot.stories.grouping import E5_SMALL, Calibration, Document, assign_stories  # noqa: E402
from summarizer.embeddings import Embedder, load_embedder  # noqa: E402

PAIRS = ROOT.parent / "shared" / "data" / "story_pairs_dev.jsonl"
OWN_PAIRS = ROOT / "tests" / "data" / "story_pairs_own.jsonl"
STORIES = ROOT / "tests" / "data" / "stories.jsonl"
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
PARLER_STORY = "parler"
OLD_REVISION = "48bda50"  # the last grouping without embeddings
CACHE = Path.home() / ".cache" / "briefbot" / "story-grouping-vectors.npz"
BATCH = 5
POOL_TIME = datetime(2026, 1, 1, tzinfo=UTC)
COSINE_THRESHOLDS = [round(0.1 * step, 2) for step in range(1, 9)]  # of the rescaled cosine

Grouping = Callable[[Sequence[Document]], list[list[int]]]


# --- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    a: int  # document keys
    b: int
    same_story: bool
    source: str
    languages: str  # "en-ru", in alphabetical order


def load_pairs(path: Path, vectors: VectorCache) -> tuple[list[Document], list[Pair]]:
    """The distinct articles of a pairs file as documents of one moment, and the labelled pairs."""
    keys: dict[tuple[str, str], int] = {}
    documents, pairs = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        ends = []
        for side in ("a", "b"):
            article = row[side]
            identity = (article["title"], article["text"])
            if identity not in keys:
                keys[identity] = len(documents)
                documents.append(Document(len(documents), article["title"], article["text"], article["lang"], POOL_TIME, None))
            ends.append(keys[identity])
        languages = "-".join(sorted((row["a"]["lang"], row["b"]["lang"])))
        pairs.append(Pair(ends[0], ends[1], bool(row["same_story"]), row["source"], languages))
    return vectors.attach(documents), pairs


def load_labelled(path: Path, vectors: VectorCache, parler: Path | None = PARLER) -> tuple[list[Document], dict[int, str]]:
    """Documents keyed by line number and the story label of each key; the Parler articles join
    as one more story when the corpus is there."""
    documents, labels = [], {}
    for key, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        published = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        documents.append(Document(key, row["title"], row["text"], row["language"], published, None))
        labels[key] = row["story"]
    if parler is not None and parler.is_dir():
        middle = sorted(document.published for document in documents)[len(documents) // 2]
        for document in load_parler(parler, max(labels) + 1, middle):
            documents.append(document)
            labels[document.key] = PARLER_STORY
    return vectors.attach(documents), labels


def load_parler(folder: Path, first_key: int, published: datetime) -> list[Document]:
    """The Parler articles, their first line as title, an hour apart from `published` on."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    documents = []
    for offset, article in enumerate(manifest["articles"]):
        title, _, text = (folder / article["file"]).read_text(encoding="utf-8").strip().partition("\n")
        moment = published + timedelta(hours=offset)
        documents.append(Document(first_key + offset, title, text, article["language"], moment, None))
    return documents


class VectorCache:
    """Vectors of article texts by the embedder, kept in an .npz file between runs."""

    def __init__(self, embedder: Embedder, path: Path | None) -> None:
        self.embedder = embedder
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            with np.load(path) as stored:
                self.vectors = {key: stored[key] for key in stored.files}
        self.embedded = 0
        self.seconds = 0.0

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.embedder.model_id}\n{text}".encode()).hexdigest()

    def attach(self, documents: list[Document]) -> list[Document]:
        texts = [article_text(document.title, document.text) for document in documents]
        missing = sorted({text for text in texts if self.key(text) not in self.vectors})
        if missing:
            started = time.perf_counter()
            for start in range(0, len(missing), 64):
                batch = missing[start : start + 64]
                self.vectors.update(zip(map(self.key, batch), self.embedder.embed(batch)))
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(self.path, **self.vectors)
        return [replace(document, vector=self.vectors[self.key(text)]) for document, text in zip(documents, texts)]


# --- groupings ------------------------------------------------------------------------------------


def fused(calibration: Calibration = E5_SMALL) -> Grouping:
    return lambda documents: assign_stories(documents, {}, calibration=calibration).new_stories


def cosine_only(threshold: float) -> Calibration:
    """Embeddings alone: one threshold on the rescaled cosine, no language bonus."""
    return Calibration(weights={"meaning": 1.0}, cross_language_bonus=0.0, threshold=threshold)


def old_grouping(revision: str) -> Grouping | None:
    """assign_stories of bot/stories/grouping.py as of `revision`, or None without git history."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:bot/stories/grouping.py"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("old_grouping")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:bot/stories/grouping.py", "exec"), module.__dict__)  # noqa: S102 (our own history)

    def group(documents: Sequence[Document]) -> list[list[int]]:
        old = [module.Document(d.key, d.title, d.text, d.language, d.published) for d in documents]
        return module.assign_stories(old, {}).new_stories

    return group


def incrementally(grouping_calibration: Calibration, documents: Sequence[Document], batch: int = BATCH) -> list[list[int]]:
    """Feed the documents in publication order, `batch` at a time, as the bot does."""
    ordered = sorted(documents, key=lambda document: (document.published, document.key))
    stories: dict[int, list[Document]] = {}
    for start in range(0, len(ordered), batch):
        chunk = ordered[start : start + batch]
        by_key = {document.key: document for document in chunk}
        assignment = assign_stories(chunk, stories, calibration=grouping_calibration)
        for key, story_id in assignment.to_existing.items():
            stories[story_id].append(by_key[key])
        for keys in assignment.new_stories:
            stories[len(stories)] = [by_key[key] for key in keys]
    return [[document.key for document in members] for members in stories.values()]


# --- scores ---------------------------------------------------------------------------------------


def _rates(together: int, apart: int, same_apart: int, different_apart: int) -> dict[str, float | int]:
    """together/apart: same-story pairs found together/apart; different_*: different-story pairs."""
    found, positives, negatives = together + apart, together + same_apart, apart + different_apart
    precision = together / found if found else 1.0
    recall = together / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    kept_apart = different_apart / negatives if negatives else 1.0
    return {"f1": round(f1, 3), "recall": round(recall, 3), "kept_apart": round(kept_apart, 3),
            "same": positives, "different": negatives}


def _rates_by_source(pairs: Sequence[Pair], together: Callable[[Pair], bool]) -> dict[str, dict[str, float | int]]:
    """Pair rates overall, per source and per source and language pair."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for pair in pairs:
        joined = together(pair)
        slot = (0 if joined else 2) if pair.same_story else (1 if joined else 3)
        for key in ("all", pair.source, f"{pair.source} {pair.languages}"):
            counts[key][slot] += 1
    return {key: _rates(*values) for key, values in sorted(counts.items())}


def pair_by_pair(grouping: Grouping, documents: Sequence[Document], pairs: Sequence[Pair]) -> dict[str, object]:
    """Each pair's two articles grouped on their own: the decision alone, as a pair classifier is
    measured, without the transitive merges of a crowded pool."""
    by_key = {document.key: document for document in documents}
    return _rates_by_source(pairs, lambda pair: len(grouping([by_key[pair.a], by_key[pair.b]])) == 1)


def pair_report(groups: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> dict[str, object]:
    story = {key: number for number, group in enumerate(groups) for key in group}
    # A story mixes pairs when it holds articles of two groups that no same-story pair links.
    label = {}
    for pair in sorted(pairs, key=lambda pair: not pair.same_story):
        first, second = label.setdefault(pair.a, pair.a), label.setdefault(pair.b, pair.b)
        if pair.same_story and first != second:
            label = {key: first if value == second else value for key, value in label.items()}
    mixed = sum(1 for group in groups if len({label[key] for key in group if key in label}) > 1)
    return {
        **_rates_by_source(pairs, lambda pair: story[pair.a] == story[pair.b]),
        "largest_story": max(map(len, groups)),
        "stories_mixing_pairs": mixed,
    }


def pair_scores(groups: Sequence[Sequence[int]], labels: dict[int, str]) -> dict[str, float]:
    found = {frozenset(pair) for group in groups for pair in itertools.combinations(group, 2)}
    true = {frozenset((a, b)) for a, b in itertools.combinations(sorted(labels), 2) if labels[a] == labels[b]}
    hits = len(found & true)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pair_precision": round(precision, 3), "pair_recall": round(recall, 3), "pair_f1": round(f1, 3)}


def parler_alone(groups: Sequence[Sequence[int]], labels: dict[int, str]) -> bool:
    """All Parler articles in one story, and nothing else in it."""
    parler = {key for key, story in labels.items() if story == PARLER_STORY}
    return bool(parler) and any(set(group) == parler for group in groups)


def tune_cosine(documents: Sequence[Document], pairs: Sequence[Pair]) -> tuple[float, dict[str, object]]:
    """The rescaled-cosine threshold with the best pair F1 on these pairs, and its report."""
    reports = {t: pair_report(fused(cosine_only(t))(documents), pairs) for t in COSINE_THRESHOLDS}
    best = max(COSINE_THRESHOLDS, key=lambda t: (reports[t]["all"]["f1"], -t))
    return best, reports[best]


# --- main -----------------------------------------------------------------------------------------


def measure(arguments: argparse.Namespace) -> dict[str, object]:
    embedder = load_embedder(
        arguments.backend, name=arguments.name, base_url=arguments.base_url, threads=arguments.threads
    )
    vectors = VectorCache(embedder, arguments.cache)
    old = old_grouping(arguments.old_revision)
    report: dict[str, object] = {"embedder": embedder.model_id, "calibration": {
        "weights": dict(E5_SMALL.weights), "unrelated_cosine": E5_SMALL.unrelated_cosine,
        "cross_language_bonus": E5_SMALL.cross_language_bonus, "threshold": E5_SMALL.threshold,
    }}

    documents, pairs = load_pairs(arguments.pairs, vectors)
    threshold, _ = tune_cosine(documents, pairs)
    cosine = cosine_only(threshold)
    report["cosine_threshold"] = {"rescaled": threshold, "cosine": round(cosine.unrelated_cosine + (1 - cosine.unrelated_cosine) * threshold, 3)}
    methods = {"old": old, "fused": fused(), "cosine": fused(cosine)}
    # The Parler articles join the pool: they must stay one story among all that other news.
    parler = vectors.attach([replace(d, published=POOL_TIME) for d in load_parler(arguments.parler, len(documents), POOL_TIME)])
    parler_labels = {document.key: PARLER_STORY for document in parler}
    report["pairs"] = {"file": str(arguments.pairs), "articles": len(documents), "with_parler": len(parler)}
    for name, grouping in methods.items():
        if grouping is not None:
            groups = grouping(documents + parler)
            labelled = [kept for group in groups if (kept := [key for key in group if key not in parler_labels])]
            report["pairs"][name] = {**pair_report(labelled, pairs), "parler_one_story_alone": parler_alone(groups, parler_labels)}

    pairwise_threshold = max(
        COSINE_THRESHOLDS, key=lambda t: (pair_by_pair(fused(cosine_only(t)), documents, pairs)["all"]["f1"], -t)
    )
    # The cosine baseline gets its own threshold, tuned for pairs on their own.
    pairwise_methods = {**methods, "cosine": fused(cosine_only(pairwise_threshold))}
    report["pair_by_pair"] = {"cosine_threshold": pairwise_threshold, **{
        name: pair_by_pair(grouping, documents, pairs) for name, grouping in pairwise_methods.items() if grouping
    }}

    documents, pairs = load_pairs(arguments.own, vectors)
    report["own_pairs"] = {"file": str(arguments.own), "articles": len(documents)}
    for name, grouping in methods.items():
        if grouping is not None:
            report["own_pairs"][name] = pair_report(grouping(documents), pairs)

    documents, labels = load_labelled(arguments.stories, vectors, arguments.parler)
    report["stories"] = {"file": str(arguments.stories), "articles": len(documents)}
    for name, grouping in methods.items():
        if grouping is None:
            continue
        at_once = grouping(documents)
        report["stories"][name] = {**pair_scores(at_once, labels), "parler_one_story_alone": parler_alone(at_once, labels)}
    for name, calibration in (("fused", E5_SMALL), ("cosine", cosine)):
        five_at_a_time = incrementally(calibration, documents)
        report["stories"][f"{name} five at a time"] = {
            **pair_scores(five_at_a_time, labels), "parler_one_story_alone": parler_alone(five_at_a_time, labels)
        }
    report["embedded"] = {"articles": vectors.embedded, "seconds": round(vectors.seconds, 1)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="?", type=Path, default=PAIRS)
    parser.add_argument("--own", type=Path, default=OWN_PAIRS)
    parser.add_argument("--stories", type=Path, default=STORIES)
    parser.add_argument("--parler", type=Path, default=PARLER)
    parser.add_argument("--old-revision", default=OLD_REVISION)
    parser.add_argument("--cache", type=Path, default=CACHE, help="vectors kept between runs")
    parser.add_argument("--threads", type=int, default=None, help="embedder threads (default: every core)")
    parser.add_argument("--backend", default="offline", choices=["offline", "sentence-transformers", "openai"])
    parser.add_argument("--name", help="embedding model: hub id or directory, or the server's model name")
    parser.add_argument("--base-url", help="the embedding server, for --backend openai")
    arguments = parser.parse_args()
    if not arguments.pairs.exists():
        raise SystemExit(f"no pairs file at {arguments.pairs}")
    print(json.dumps(measure(arguments), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
