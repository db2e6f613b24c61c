"""The labelled sets bench/story_grouping.py measures on, and how a grouping scores on them: pairs
of articles labelled same story or not, dealt into folds, and numbers fitted on some folds and
scored on the others."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bot.stories.grouping import Document

PARLER_STORY = "parler"
POOL_TIME = datetime(2026, 1, 1, tzinfo=UTC)

Params = tuple[float, ...]


# --- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    a: int  # document keys
    b: int
    same_story: bool
    source: str
    languages: str  # "en-ru", in alphabetical order


def load_pairs(path: Path) -> tuple[list[Document], list[Pair]]:
    """The distinct articles of a pairs file as documents of one moment (no vectors yet), and the pairs."""
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
    return documents, pairs


def load_labelled(path: Path, parler: Path | None) -> tuple[list[Document], dict[int, str]]:
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
    return documents, labels


def load_parler(folder: Path, first_key: int, published: datetime) -> list[Document]:
    """The Parler articles, their first line as title, an hour apart from `published` on."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    documents = []
    for offset, article in enumerate(manifest["articles"]):
        title, _, text = (folder / article["file"]).read_text(encoding="utf-8").strip().partition("\n")
        moment = published + timedelta(hours=offset)
        documents.append(Document(first_key + offset, title, text, article["language"], moment, None))
    return documents


# --- scores ---------------------------------------------------------------------------------------


def rates(tp: int, fp: int, fn: int, tn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "same": tp + fn, "different": fp + tn}


def confusion(together: np.ndarray, labels: np.ndarray) -> tuple[int, int, int, int]:
    return (int((together & labels).sum()), int((together & ~labels).sum()),
            int((~together & labels).sum()), int((~together & ~labels).sum()))


def _f1(together: np.ndarray, labels: np.ndarray) -> float:
    tp, fp, fn, _ = confusion(together, labels)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def together(groups: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> np.ndarray:
    story = {key: number for number, group in enumerate(groups) for key in group}
    return np.array([story[pair.a] == story[pair.b] for pair in pairs], dtype=bool)


def pair_report(groups: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> dict[str, object]:
    """Pair rates overall, per source and per language pair."""
    joined = together(groups, pairs)
    labels = np.array([pair.same_story for pair in pairs])
    slices: dict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        for key in ("all", pair.source, f"{pair.source} {pair.languages}"):
            slices[key].append(index)
    return {
        **{key: rates(*confusion(joined[rows], labels[rows])) for key, rows in sorted(slices.items())},
        "largest_story": max(map(len, groups)),
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


def fold_numbers(labels: np.ndarray, folds: int, seed: int = 19) -> np.ndarray:
    """Each pair's fold: same-story and different-story pairs dealt out separately, so every fold has its share."""
    numbers = np.empty(len(labels), dtype=np.int64)
    rng = np.random.default_rng(seed)
    for label in (True, False):
        indices = np.flatnonzero(labels == label)
        numbers[rng.permutation(indices)] = np.arange(indices.size) % folds
    return numbers


@dataclass
class LabelledPool:
    """Articles grouped together, and the labelled pairs among them, each in a fold."""

    documents: list[Document]
    pairs: list[Pair]
    folds: np.ndarray
    parler: dict[int, str]  # the keys of the Parler articles in the pool

    @property
    def labels(self) -> np.ndarray:
        return np.array([pair.same_story for pair in self.pairs])


def pool_of_stories(documents: Sequence[Document], labels: dict[int, str], folds: int) -> LabelledPool:
    """Every pair of articles of a story-labelled set, labelled by whether they share the story."""
    pairs = [Pair(a.key, b.key, labels[a.key] == labels[b.key], "stories", "-".join(sorted((a.language, b.language))))
             for a, b in itertools.combinations(documents, 2)]
    parler = {key: story for key, story in labels.items() if story == PARLER_STORY}
    return LabelledPool(list(documents), pairs, fold_numbers(np.array([p.same_story for p in pairs]), folds), parler)


def held_out(outcomes: dict[str, dict[Params, np.ndarray]], pools: dict[str, LabelledPool],
             admissible: Callable[[Params], bool] = lambda params: True) -> dict[str, object]:
    """Numbers fitted on all folds but one, for the sum of the pair F1 of the pools named in
    `outcomes` (among the admissible numbers), and applied to that fold, each in turn: per pool,
    the rates pooled over the held-out folds; the numbers each fold chose, and those of all folds."""
    names = list(outcomes)
    grid = [params for params in outcomes[names[0]] if admissible(params)] or list(outcomes[names[0]])
    labels = {name: pools[name].labels for name in names}

    def score(params: Params, rows: Callable[[str], np.ndarray]) -> float:
        return sum(_f1(outcomes[name][params][rows(name)], labels[name][rows(name)]) for name in names)

    counts = {name: np.zeros(4, dtype=np.int64) for name in names}
    chosen = []
    for fold in range(int(max(pools[name].folds.max() for name in names)) + 1):
        best = max(grid, key=lambda params: score(params, lambda name: pools[name].folds != fold))
        chosen.append(list(best))
        for name in names:
            test = pools[name].folds == fold
            counts[name] += confusion(outcomes[name][best][test], labels[name][test])
    best = max(grid, key=lambda params: score(params, lambda name: slice(None)))
    return {
        **{name: rates(*counts[name].tolist()) for name in names},
        "chosen_per_fold": chosen, "fitted_on_all": list(best),
        "fitted_on_all_f1": {name: round(_f1(outcomes[name][best], labels[name]), 3) for name in names},
    }


def cross_lingual(groups: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray]:
    crossing = [pair for pair in pairs if len(set(pair.languages.split("-"))) == 2]
    return together(groups, crossing), np.array([pair.same_story for pair in crossing], dtype=bool)
