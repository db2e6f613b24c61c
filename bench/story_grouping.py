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
import itertools
import json
import subprocess
import sys
import types
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.story_pairs import (  # noqa: E402
    PARLER_STORY,
    POOL_TIME,
    LabelledPool,
    Params,
    confusion,
    cross_lingual,
    fold_numbers,
    held_out,
    load_labelled,
    load_pairs,
    load_parler,
    pair_report,
    parler_alone,
    pool_of_stories,
    rates,
    together,
)
from bench.story_vectors import LONG_CHARS, VectorCache, centred  # noqa: E402
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
from summarizer.embeddings import load_embedder  # noqa: E402

PAIRS = ROOT.parent / "shared" / "data" / "story_pairs_dev.jsonl"
OWN_PAIRS = ROOT / "tests" / "data" / "story_pairs_own.jsonl"
STORIES = ROOT / "tests" / "data" / "stories.jsonl"
PARLER = ROOT.parent / "shared" / "corpus" / "parler"
BEFORE_REVISION = "213c1c9"  # the grouping before language centring
CACHE = Path("/tmp/briefbot-story-vectors.npz")
BATCH = 5
FOLDS = 5
# Thresholds on the rescaled similarity, and weights of names and numbers (each) against meaning 1.
THRESHOLDS = [round(0.05 * step, 2) for step in range(4, 17)]
EVIDENCE_WEIGHTS = [0.1, 0.2, 0.3]
# Pairs of one pool above this share of all its cosines count as possibly related: the unrelated
# cosine of a way of embedding, so that each is rescaled alike.
RELATED_SHARE = 0.01

Grouping = Callable[[Sequence[Document]], list[list[int]]]


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
        kept = similarities.where(similarities.values >= threshold * _NEGLIGIBLE)
        if single_link:
            linked = kept.where(kept.values >= threshold)
            graph = coo_matrix((np.ones(len(linked)), (linked.first, linked.second)), shape=(len(keys), len(keys)))
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
    documents' raw vectors; None without git history, or when that version imports what the tree
    no longer has (said on stderr)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:bot/stories/grouping.py"],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("before_grouping")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(source, f"{revision}:bot/stories/grouping.py", "exec"), module.__dict__)  # noqa: S102 (our own history)
    except ImportError as exc:
        print(f"no 'before' row: the grouping of {revision} imports what the tree no longer has ({exc})", file=sys.stderr)
        return None

    def group(documents: Sequence[Document]) -> list[list[int]]:
        old = [module.Document(d.key, d.title, d.text, d.language, d.published, d.vector) for d in documents]
        return module.assign_stories(old, {}).new_stories

    return group


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
            chosen = best
    before = before_grouping(arguments.before_revision)
    if before is not None:
        row = {}
        for name, pool in pools.items():
            groups = before(cache.attach(pool.documents))
            row[name] = {**rates(*confusion(together(groups, pool.pairs), pool.labels)),
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
                counts += confusion(runs[params][test], pool.labels[test])
            row[name] = rates(*counts.tolist())
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
            "cross_lingual": rates(*confusion(*cross_lingual(groups, pool.pairs))),
            **({"parler_one_story_alone": parler_alone(groups, pool.parler)} if pool.parler else {}),
            "errors": [f"{pool.documents[p.a].title[:40]} ~ {pool.documents[p.b].title[:40]}"
                       for p, joined in zip(pool.pairs, together(groups, pool.pairs), strict=True)
                       if joined != p.same_story][:20] if name != "outside" else None,
        }
    report["embedded"] = {"texts": cache.embedded, "seconds": round(cache.seconds, 1)}
    return report


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
