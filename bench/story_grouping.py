"""Measure story grouping on labelled data, held out: ablations on the outside pairs, the project's
own cross-lingual pairs, the 56-article set and the Parler sample.

Usage: nice -n 5 .venv/bin/python bench/story_grouping.py [PAIRS.jsonl] [--own FILE] [--stories FILE]
           [--parler DIR] [--before-revision REV] [--cache FILE] [--threads N] [--folds K] [--quick]
           [--backend offline|sentence-transformers|openai] [--name MODEL] [--base-url URL]

PAIRS.jsonl (default ../shared/data/story_pairs_dev.jsonl) and --own (default
tests/data/story_pairs_own.jsonl) hold labelled pairs, one a line: {"pair", "source",
"same_story", "a": {"lang", "title", "text"}, "b": {...}}. Pairs are measured the way grouping
is used: all articles of a file go into one pool (with the five Parler articles), published
together, and are grouped at once; a labelled pair counts as together when its two articles
landed in one story.

Three labelled sets, each one pool: the outside pairs (with the Parler articles), the own
cross-lingual pairs, and --stories (default tests/data/stories.jsonl with the Parler articles
given times in the middle of the set; every pair of its articles labelled by their stories). Each
set's pairs are dealt into K folds. Ablations ("ablations"): each way of grouping has its numbers
(unrelated cosine, threshold, weight of names and numbers) fitted for pair F1 on K-1 folds and
applied to the K-th, each fold in turn; precision, recall and F1 are counted over the held-out
folds. "fitted_on_outside_pairs" fits on the outside pairs alone; "fitted_on_all_three" on the sum
of the three sets' F1, among the numbers that keep the five Parler articles one story alone, on
their own and among the outside articles; its "fitted_on_all" is what E5_SMALL in
bot/stories/grouping.py ships. The ways vary one thing at a time against the chosen grouping
("fused, centred": language-centred cosine of title and lead, names and numbers adding a
little, average link): the text embedded (600 characters, 1,500, the title, the mean of two
vectors: the lead and the next 900 characters; these on the outside pairs alone), the centring
(none, the languages' offsets, each language's whole mean), the names and numbers (none, or on raw
vectors), single link instead of average link, and the articles fed five at a time in file
order as the bot meets them. "before" is the grouping as of --before-revision (read from git) with
its own numbers (fitted on the outside pairs earlier, so not held out), on raw vectors. "plain
cosine" is the baseline: the same embedder and text, one threshold on the raw cosine. The story
window plays no part here (the pairs have no times). "shipped" gives the shipped calibration on
every set, by source, with cross-lingual pairs apart. A new embedder is calibrated by running
this with it.

Vectors come from the offline embedder, or the one --backend and --name give, and are kept in
--cache (default /tmp/briefbot-story-vectors.npz): the first run embeds about 4,700 texts (the
1,159 outside articles four ways; an hour on two busy cores), later runs none. --quick skips the
slow ablations (the text variants that need more embedding, five at a time). Prints one JSON object.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stories.assign import ARTICLE_CHARS, article_text  # noqa: E402
from bot.stories.grouping import (  # noqa: E402
    _NEGLIGIBLE,
    STORY_WINDOW,
    Calibration,
    Document,
    _average_link,
    _similarities,
    assign_stories,
    calibration_for,
)
from summarizer.embeddings import Embedder, LanguageCentres, load_embedder  # noqa: E402

PAIRS = ROOT.parent / "shared" / "data" / "story_pairs_dev.jsonl"
OWN_PAIRS = ROOT / "tests" / "data" / "story_pairs_own.jsonl"
STORIES = ROOT / "tests" / "data" / "stories.jsonl"
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
PARLER_STORY = "parler"
BEFORE_REVISION = "213c1c9"  # the grouping before language centring
CACHE = Path("/tmp/briefbot-story-vectors.npz")
BATCH = 5
FOLDS = 5
POOL_TIME = datetime(2026, 1, 1, tzinfo=UTC)
LONG_CHARS = 1500
# Thresholds on the rescaled similarity, and weights of names and numbers (each) against meaning 1.
THRESHOLDS = [round(0.05 * step, 2) for step in range(4, 17)]
EVIDENCE_WEIGHTS = [0.1, 0.2, 0.3]
# Pairs of one pool above this share of all its cosines count as possibly related: the unrelated
# cosine of a way of embedding, so that each is rescaled alike.
RELATED_SHARE = 0.01

Grouping = Callable[[Sequence[Document]], list[list[int]]]
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


def load_labelled(path: Path, parler: Path | None = PARLER) -> tuple[list[Document], dict[int, str]]:
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


# What is embedded of an article, by way of embedding: the bot's is "lead".
TEXTS: dict[str, Callable[[str, str], str]] = {
    "lead": article_text,
    "long": lambda title, text: article_text(title, text, LONG_CHARS),
    "title": lambda title, text: title.strip() or text.strip()[:100],
    "rest": lambda title, text: article_text(title, text, LONG_CHARS)[ARTICLE_CHARS:].strip(),
}


class VectorCache:
    """Vectors of texts by the embedder, kept in an .npz file between runs."""

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

    def embed(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        texts = list(texts)
        missing = sorted({text for text in texts if self.key(text) not in self.vectors})
        if missing:
            started = time.perf_counter()
            for start in range(0, len(missing), 32):
                batch = missing[start : start + 32]
                self.vectors.update(zip(map(self.key, batch), self.embedder.embed(batch)))
            self.seconds += time.perf_counter() - started
            self.embedded += len(missing)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(self.path, **self.vectors)
        return {text: self.vectors[self.key(text)] for text in texts}

    def attach(self, documents: Sequence[Document], way: str = "lead") -> list[Document]:
        """The documents with the raw vectors of their text embedded `way` ("two": the mean of
        "lead" and "rest", or "lead" alone for an article no longer than its lead)."""
        if way == "two":
            lead, rest = self.attach(documents, "lead"), self.attach(documents, "rest")
            return [replace(a, vector=_unit(a.vector + b.vector) if TEXTS["rest"](a.title, a.text) else a.vector)
                    for a, b in zip(lead, rest, strict=True)]
        texts = [TEXTS[way](document.title, document.text) or document.title for document in documents]
        vectors = self.embed(texts)
        return [replace(document, vector=vectors[text]) for document, text in zip(documents, texts, strict=True)]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def centred(documents: Sequence[Document], model_id: str, *, common: bool = False) -> list[Document]:
    """The documents with language-centred vectors, the offsets estimated from them as from a store."""
    vectors = np.stack([document.vector for document in documents])
    languages = [document.language for document in documents]
    centres = LanguageCentres.estimate(model_id, vectors, languages)
    rows = centres.centre(vectors, languages, common=common)
    return [replace(document, vector=row) for document, row in zip(documents, rows, strict=True)]


# --- groupings ------------------------------------------------------------------------------------


def unrelated_cosine(documents: Sequence[Document]) -> float:
    """The cosine only RELATED_SHARE of a pool's pairs reach, to two decimals."""
    vectors = np.stack([document.vector for document in documents])
    cosines = (vectors @ vectors.T)[np.triu_indices(len(vectors), 1)]
    return round(float(np.quantile(cosines, 1 - RELATED_SHARE)), 2)


def calibration(unrelated: float, threshold: float, evidence: float = 0.0) -> Calibration:
    """Meaning counts 1, names and numbers `evidence` each."""
    weights = {"meaning": 1.0, **({"name": evidence, "number": evidence} if evidence else {})}
    return Calibration(weights=weights, unrelated_cosine=unrelated, threshold=threshold)


def grouped_by_threshold(
    documents: Sequence[Document], base: Calibration, thresholds: Sequence[float], *, single_link: bool = False
) -> dict[float, list[list[int]]]:
    """The stories of documents grouped at once at each threshold (the similarities computed once)."""
    similarities = _similarities(documents, STORY_WINDOW, base, floor=min(thresholds) * _NEGLIGIBLE)
    keys = [document.key for document in documents]
    result = {}
    for threshold in thresholds:
        kept = {pair: value for pair, value in similarities.items() if value >= threshold * _NEGLIGIBLE}
        if single_link:
            linked = [pair for pair, value in kept.items() if value >= threshold]
            rows, columns = (np.array(side, dtype=np.int64) for side in zip(*linked)) if linked else ([], [])
            graph = coo_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(keys), len(keys)))
            labels = connected_components(graph, directed=False)[1]
            groups: dict[int, list[int]] = defaultdict(list)
            for index, label in enumerate(labels):
                groups[int(label)].append(index)
            merged = list(groups.values())
        else:
            merged = _average_link([[i] for i in range(len(keys))], [False] * len(keys), kept, threshold)
        result[threshold] = [[keys[i] for i in group] for group in merged]
    return result


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


def fused(grouping_calibration: Calibration) -> Grouping:
    """All documents at once (vectors as given)."""
    return lambda documents: assign_stories(documents, {}, calibration=grouping_calibration).new_stories


def before_grouping(revision: str) -> Grouping | None:
    """assign_stories of bot/stories/grouping.py as of `revision` with its own calibration, on the
    documents' raw vectors; None without git history."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:bot/stories/grouping.py"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("before_grouping")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{revision}:bot/stories/grouping.py", "exec"), module.__dict__)  # noqa: S102 (our own history)

    def group(documents: Sequence[Document]) -> list[list[int]]:
        old = [module.Document(d.key, d.title, d.text, d.language, d.published, d.vector) for d in documents]
        return module.assign_stories(old, {}).new_stories

    return group


# --- scores ---------------------------------------------------------------------------------------


def _rates(tp: int, fp: int, fn: int, tn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "same": tp + fn, "different": fp + tn}


def _counts(together: np.ndarray, labels: np.ndarray) -> tuple[int, int, int, int]:
    return (int((together & labels).sum()), int((together & ~labels).sum()),
            int((~together & labels).sum()), int((~together & ~labels).sum()))


def _f1(together: np.ndarray, labels: np.ndarray) -> float:
    tp, fp, fn, _ = _counts(together, labels)
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
        **{key: _rates(*_counts(joined[rows], labels[rows])) for key, rows in sorted(slices.items())},
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
            counts[name] += _counts(outcomes[name][best][test], labels[name][test])
    best = max(grid, key=lambda params: score(params, lambda name: slice(None)))
    return {
        **{name: _rates(*counts[name].tolist()) for name in names},
        "chosen_per_fold": chosen, "fitted_on_all": list(best),
        "fitted_on_all_f1": {name: round(_f1(outcomes[name][best], labels[name]), 3) for name in names},
    }


# --- main -----------------------------------------------------------------------------------------


@dataclass
class Ablation:
    """A way of grouping: how it embeds and centres articles, whether names and numbers count, the link."""

    way: str = "lead"  # of TEXTS, or "two"
    centring: str | None = "offsets"  # None, "offsets" or "whole" (the mean of all texts too)
    evidence: Sequence[float] = (0.0,)
    single_link: bool = False
    outside_only: bool = False  # measured on the outside pairs alone (the other sets would need more embedding)

    def vectors(self, cache: VectorCache, documents: Sequence[Document]) -> list[Document]:
        raw = cache.attach(documents, self.way)
        if self.centring is None:
            return raw
        return centred(raw, cache.embedder.model_id, common=self.centring == "whole")

    def outcomes(self, cache: VectorCache, pools: dict[str, LabelledPool]) -> tuple[dict, dict]:
        """Per pool, whether each pair lands in one story, and whether Parler is one story alone,
        at each of the numbers: (unrelated cosine, threshold, weight of names and numbers)."""
        if self.outside_only:
            pools = {"outside": pools["outside"]}
        outcomes: dict[str, dict[Params, np.ndarray]] = {name: {} for name in pools}
        parler: dict[str, dict[Params, bool]] = {name: {} for name in pools}
        documents = {name: self.vectors(cache, pool.documents) for name, pool in pools.items()}
        # The unrelated cosine: what the outside pool's closest RELATED_SHARE of pairs reach, and 0.05 below.
        top = unrelated_cosine(documents["outside"])
        for unrelated, evidence in itertools.product((round(top - 0.05, 2), top), self.evidence):
            base = calibration(unrelated, min(THRESHOLDS), evidence)
            for name, pool in pools.items():
                grouped = grouped_by_threshold(documents[name], base, THRESHOLDS, single_link=self.single_link)
                for threshold, groups in grouped.items():
                    outcomes[name][unrelated, threshold, evidence] = together(groups, pool.pairs)
                    parler[name][unrelated, threshold, evidence] = parler_alone(groups, pool.parler)
        return outcomes, parler


ABLATIONS = {
    "fused, centred (chosen)": Ablation(evidence=EVIDENCE_WEIGHTS),
    "plain cosine (raw vectors)": Ablation(centring=None),
    "cosine, centred": Ablation(),
    "cosine, whole-mean centred": Ablation(centring="whole"),
    "fused, raw vectors": Ablation(centring=None, evidence=EVIDENCE_WEIGHTS),
    "cosine, centred, single link": Ablation(single_link=True),
    f"cosine, centred, {LONG_CHARS} characters": Ablation(way="long", outside_only=True),
    "cosine, centred, title only": Ablation(way="title", outside_only=True),
    "cosine, centred, two vectors (lead, rest) averaged": Ablation(way="two", outside_only=True),
}
SLOW = {f"cosine, centred, {LONG_CHARS} characters", "cosine, centred, title only",
        "cosine, centred, two vectors (lead, rest) averaged"}


def measure(arguments: argparse.Namespace) -> dict[str, object]:
    embedder = load_embedder(arguments.backend, name=arguments.name, base_url=arguments.base_url, threads=arguments.threads)
    model = embedder.model_id
    cache = VectorCache(embedder, arguments.cache)
    report: dict[str, object] = {"embedder": model, "folds": arguments.folds}

    documents, pairs = load_pairs(arguments.pairs)
    parler = [replace(d, published=POOL_TIME) for d in load_parler(arguments.parler, len(documents), POOL_TIME)]
    labels = np.array([pair.same_story for pair in pairs])
    pools = {"outside": LabelledPool(documents + parler, pairs, fold_numbers(labels, arguments.folds),
                                     {document.key: PARLER_STORY for document in parler})}
    documents, pairs = load_pairs(arguments.own)
    pools["own"] = LabelledPool(documents, pairs, fold_numbers(np.array([p.same_story for p in pairs]), arguments.folds), {})
    documents, story_labels = load_labelled(arguments.stories, arguments.parler)
    pools["stories"] = pool_of_stories(documents, story_labels, arguments.folds)
    # The Parler articles on their own, as a store with little else meets them.
    pools["parler"] = pool_of_stories(parler, {document.key: PARLER_STORY for document in parler}, arguments.folds)
    report["pools"] = {name: {"articles": len(pool.documents), "pairs": len(pool.pairs), "same_story": int(pool.labels.sum())}
                       for name, pool in pools.items()}

    table: dict[str, object] = {}
    for name, ablation in ABLATIONS.items():
        if arguments.quick and name in SLOW:
            continue
        outcomes, parler_alone_at = ablation.outcomes(cache, pools)
        table[name] = {"fitted_on_outside_pairs": held_out({"outside": outcomes["outside"]}, pools)}
        if ablation.outside_only:
            continue
        # Fitted on all three sets, keeping the Parler articles one story alone on their own and
        # among the outside articles (when some numbers do).
        joint = held_out({name: outcomes[name] for name in ("outside", "own", "stories")}, pools,
                         lambda params: parler_alone_at["outside"][params] and parler_alone_at["parler"][params])
        best = tuple(joint["fitted_on_all"])
        table[name]["fitted_on_all_three"] = joint
        table[name]["parler_one_story_alone"] = {pool: parler_alone_at[pool][best] for pool in pools if pools[pool].parler}
        if name == "fused, centred (chosen)":
            chosen, chosen_outcomes = best, outcomes
    before = before_grouping(arguments.before_revision)
    if before is not None:
        row = {}
        for name, pool in pools.items():
            groups = before(cache.attach(pool.documents))
            row[name] = {**_rates(*_counts(together(groups, pool.pairs), pool.labels)),
                         **({"parler_one_story_alone": parler_alone(groups, pool.parler)} if pool.parler else {})}
        table[f"before ({arguments.before_revision}, its own numbers, not held out)"] = row
    shipped = calibration_for(model)
    lead = ABLATIONS["fused, centred (chosen)"]
    if not arguments.quick:
        # Five at a time in file order, with the numbers each fold chose (fitted at once).
        row = {}
        folds_chosen = table["fused, centred (chosen)"]["fitted_on_all_three"]["chosen_per_fold"]
        for name in ("outside", "stories"):
            pool, documents = pools[name], lead.vectors(cache, pools[name].documents)
            counts, runs = np.zeros(4, dtype=np.int64), {}
            for fold, params in enumerate(map(tuple, folds_chosen)):
                if params not in runs:
                    runs[params] = together(incrementally(calibration(*params), documents), pool.pairs)
                test = pool.folds == fold
                counts += _counts(runs[params][test], pool.labels[test])
            row[name] = _rates(*counts.tolist())
        table["fused, centred, five at a time"] = row
    report["ablations"] = table
    report["chosen"] = {"unrelated_cosine": chosen[0], "threshold": chosen[1], "names_and_numbers_weight": chosen[2],
                        "shipped": {"weights": dict(shipped.weights), "unrelated_cosine": shipped.unrelated_cosine,
                                    "threshold": shipped.threshold}}
    # The shipped calibration on every pool, by source and language pair.
    report["shipped"] = {}
    for name, pool in pools.items():
        groups = fused(shipped)(lead.vectors(cache, pool.documents))
        found = pair_report(groups, pool.pairs)
        report["shipped"][name] = {
            **{key: value for key, value in found.items() if " " not in key},
            "cross_lingual": _rates(*_counts(*_cross_lingual(groups, pool.pairs))),
            **({"parler_one_story_alone": parler_alone(groups, pool.parler)} if pool.parler else {}),
            "errors": [f"{pool.documents[p.a].title[:40]} ~ {pool.documents[p.b].title[:40]}"
                       for p, joined in zip(pool.pairs, together(groups, pool.pairs), strict=True)
                       if joined != p.same_story][:20] if name != "outside" else None,
        }
    report["embedded"] = {"texts": cache.embedded, "seconds": round(cache.seconds, 1)}
    return report


def _cross_lingual(groups: Sequence[Sequence[int]], pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray]:
    crossing = [pair for pair in pairs if len(set(pair.languages.split("-"))) == 2]
    return together(groups, crossing), np.array([pair.same_story for pair in crossing], dtype=bool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", nargs="?", type=Path, default=PAIRS)
    parser.add_argument("--own", type=Path, default=OWN_PAIRS)
    parser.add_argument("--stories", type=Path, default=STORIES)
    parser.add_argument("--parler", type=Path, default=PARLER)
    parser.add_argument("--before-revision", default=BEFORE_REVISION)
    parser.add_argument("--cache", type=Path, default=CACHE, help="vectors kept between runs")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--quick", action="store_true", help="skip the ablations that need more embedding or time")
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
