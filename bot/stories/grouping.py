"""Grouping articles into stories across languages: sentence embeddings for what an article
says, the names and numbers it shares with another for which event it is.

The similarity of two articles published within `window` of each other is a weighted sum of
- meaning: the cosine of their language-centred embeddings (see bot.stories.assign for what is
  embedded; summarizer.embeddings.languages for the centring, which the caller does: a model
  scores a pair in one language above the same pair in two, and each language has a baseline of
  its own), rescaled so that the cosine of unrelated news counts as nothing;
- names and numbers shared across scripts (bot.stories.evidence): they tell apart two
  earthquakes, two strikes or two elections on one day, which read alike. They add a little to
  the meaning and cannot make a story without it.
Articles further apart than `window` have similarity 0.

Grouping is average-link agglomeration: the two groups with the highest mean pairwise similarity
merge while that mean reaches the threshold. Unlike a connected-components rule, a chain of
pairwise links (A like B, B like C) does not pull A and C together unless the merged group stays
similar on average. Existing stories are groups that never merge with each other: a new article
joins a story when its mean similarity to the story's recent members reaches the threshold, by
the same rule that groups new articles among themselves, so grouping a day's articles at once or
as they arrive gives the same stories as far as possible.

The weights, the cosine of unrelated news and the threshold are a calibration of one embedding
model (calibration_for). E5_SMALL is the offline embedder's (multilingual-e5-small), fitted with
bench/story_grouping.py on folds of labelled outside pairs and checked on the project's own
cross-lingual pairs and tests/data/stories.jsonl; another model needs its own.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.stories.evidence import FEATURES, Features, NamesAndNumbers, PairScores

# How long a story stays current: articles this far apart can join one story, and a digest covers
# stories this close to the newest article.
STORY_WINDOW = timedelta(hours=72)


@dataclass(frozen=True)
class Calibration:
    # How much each signal ("meaning", "name", "number") counts in the similarity.
    weights: Mapping[str, float] = field(default_factory=lambda: {"meaning": 1.0, "name": 0.3, "number": 0.3})
    # Cosines (of language-centred vectors) at or below this count as no shared meaning; 1.0 fully.
    unrelated_cosine: float = 0.8
    # Groups merge while their mean pairwise similarity reaches this: above what names and numbers
    # alone can give.
    threshold: float = 0.65


# bench/story_grouping.py fits the numbers on the outside pairs, the own cross-lingual pairs and
# tests/data/stories.jsonl together, among those that keep the Parler sample one story alone; its
# best (unrelated 0.8, threshold 0.6, names and numbers 0.2 each) parts the demo's two Elbe teasers
# (cs, de: similarity 0.594). These are the best of the grid that keep them one story, 0.01-0.02
# of F1 below it on the outside pairs and equal on the other sets (the README gives the figures).
E5_SMALL = Calibration()
# Calibrations by the model name in an embedder's model id; other models get E5_SMALL's until measured.
CALIBRATIONS = {"multilingual-e5-small": E5_SMALL}
# Similarities below this fraction of the threshold count as none: many unrelated pairs of news sit
# just above the unrelated cosine, and keeping them all made merging 2,000 articles five times
# slower (5.0 CPU-s against 1.0) without changing a story.
_NEGLIGIBLE = 0.3
# Rows of the cosine matrix computed at once, and candidate pairs (cosines and shared features)
# looked at at once: both bound the memory of grouping a busy window, whatever it holds. Half as
# many pairs at once saved about 15 MB but took 10-20 % more CPU: each block gathers the vectors
# of all later documents.
_BLOCK = 1024
_PAIRS_PER_BLOCK = 1 << 19
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Document:
    key: int  # article id
    title: str
    text: str
    language: str | None
    published: datetime  # tz-aware UTC
    vector: np.ndarray = field(compare=False, repr=False)  # unit embedding of the article
    # The names and numbers of title and text (FeatureCache.features), when the caller has them:
    # then the text is not read.
    features: Features | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Assignment:
    to_existing: dict[int, int]  # document key -> existing story id
    new_stories: list[list[int]]  # groups of document keys that start new stories (singletons included)


@dataclass(frozen=True)
class Pairs:
    """Similarities of pairs first[k] < second[k] of documents (indices), in pair order: 16 bytes a
    pair, where a dictionary of them took about 200."""

    first: np.ndarray  # int32
    second: np.ndarray  # int32
    values: np.ndarray  # float64

    def __len__(self) -> int:
        return self.values.size

    def where(self, keep: np.ndarray) -> Pairs:
        return Pairs(self.first[keep], self.second[keep], self.values[keep])


def _meaning(
    vectors: np.ndarray, rows_by_rank: np.ndarray, order: np.ndarray, sorted_times: np.ndarray, open_ranks: np.ndarray,
    start: int, stop: int, window: int, calibration: Calibration,
) -> PairScores:
    """Rescaled cosines of the pairs whose earlier document is of time rank [start, stop) (`order`:
    documents in time order; `rows_by_rank`: their rows of `vectors`), published within `window`,
    whose cosine is above the unrelated cosine, and of which one document at least is open
    (`open_ranks`, by time rank): the open documents of the block with every later one, the others
    with the later open ones."""
    unrelated = calibration.unrelated_cosine
    n = order.size
    end = int(np.searchsorted(sorted_times, sorted_times[stop - 1] + window, side="right"))
    block = np.arange(start, stop)
    later = np.arange(start, end)
    codes, scores = [], []
    for rows, columns in ((block[open_ranks[start:stop]], later), (block[~open_ranks[start:stop]], later[open_ranks[start:end]])):
        if not rows.size or not columns.size:
            continue
        cosines = vectors[rows_by_rank[rows]] @ vectors[rows_by_rank[columns]].T
        paired = (rows[:, None] < columns[None, :]) & (sorted_times[columns][None, :] - sorted_times[rows][:, None] <= window)
        row, column = np.nonzero(paired & (cosines > unrelated))
        first, second = order[rows[row]], order[columns[column]]
        codes.append(np.minimum(first, second) * n + np.maximum(first, second))
        scores.append(np.minimum(1.0, (cosines[row, column] - unrelated) / (1 - unrelated)))
    return PairScores(np.concatenate([np.empty(0, np.int64), *codes]), np.concatenate([np.empty(0), *scores]))


def _blocks(costs: np.ndarray, budget: float, most: int) -> list[tuple[int, int]]:
    """Consecutive ranges of indices, each of total cost at most `budget` (or one index) and at most `most` long."""
    ends = np.cumsum(costs)
    blocks, start = [], 0
    while start < costs.size:
        before = ends[start - 1] if start else 0.0
        stop = int(np.searchsorted(ends, before + budget, side="right"))
        stop = min(max(stop, start + 1), start + most)
        blocks.append((start, stop))
        start = stop
    return blocks


def _matrix(documents: Sequence[Document]) -> tuple[np.ndarray, np.ndarray]:
    """The documents' vectors as one float32 matrix, and each document's row of it. Where they are
    all rows of one float32 matrix already (bot.stories.assign gives them so), that matrix: a
    window's vectors are not copied."""
    matrix = documents[0].vector.base if documents else None
    if (isinstance(matrix, np.ndarray) and matrix.dtype == np.float32 and matrix.ndim == 2 and matrix.flags.c_contiguous
            and all(d.vector.base is matrix and d.vector.shape == matrix.shape[1:] for d in documents)):
        offsets = np.array([d.vector.ctypes.data for d in documents]) - matrix.ctypes.data
        if not (offsets % matrix.strides[0]).any():
            return matrix, offsets // matrix.strides[0]
    return np.stack([d.vector for d in documents]).astype(np.float32, copy=False), np.arange(len(documents))


def _similarities(
    documents: Sequence[Document], window: timedelta, calibration: Calibration, floor: float,
    settled: np.ndarray | None = None,
) -> Pairs:
    """Similarity of the pairs i < j of documents published within `window`, where at least `floor`,
    but for pairs of two `settled` documents (a boolean per document: members of existing stories,
    which never merge with each other).

    Computed a block of earlier documents at a time, each block's candidate pairs (cosines and
    shared features) within _PAIRS_PER_BLOCK, and only the pairs of at least `floor` kept: a busy
    window has many millions of candidates and few pairs that count."""
    n = len(documents)
    settled = np.zeros(n, dtype=bool) if settled is None else np.asarray(settled, dtype=bool)
    languages = [document.language or "" for document in documents]
    # Whole microseconds, so that a pair exactly `window` apart is within it.
    times = np.array([(document.published - _EPOCH) // _MICROSECOND for document in documents], dtype=np.int64)
    span = window // _MICROSECOND
    vectors, rows = _matrix(documents)
    order = np.argsort(times, kind="stable")
    rows_by_rank = rows[order]
    sorted_times = times[order]
    open_ranks = ~settled[order]
    weights = calibration.weights
    # Candidates per document by time rank: the cosines with those after it in the window (the
    # open ones only, for a settled document), and its shared features.
    window_ends = np.searchsorted(sorted_times, sorted_times + span, side="right")
    open_before = np.concatenate([[0], np.cumsum(open_ranks)])
    costs = np.where(open_ranks, window_ends - np.arange(n) - 1, open_before[window_ends] - open_before[1:])
    costs = (costs + 1).astype(np.float64)  # and itself, so that every block is bounded
    evidence = None
    if set(weights) - {"meaning"}:
        bags = [document.features or FEATURES.features(document.title, document.text) for document in documents]
        evidence = NamesAndNumbers(bags, languages, times, span, settled)
        costs += evidence.pairs_per_rank()
    kept_codes, kept_totals = [np.empty(0, np.int64)], [np.empty(0)]
    for start, stop in _blocks(costs, _PAIRS_PER_BLOCK, _BLOCK):
        signals = {
            "meaning": _meaning(vectors, rows_by_rank, order, sorted_times, open_ranks, start, stop, span, calibration)
        }
        if evidence is not None:
            signals.update(evidence.scores(start, stop))
        codes = np.concatenate([signals[signal].codes for signal in weights])
        weighted = np.concatenate([weight * signals[signal].scores for signal, weight in weights.items()])
        pair_codes, inverse = np.unique(codes, return_inverse=True)
        totals = np.bincount(inverse, weights=weighted, minlength=pair_codes.size)
        keep = totals >= floor
        kept_codes.append(pair_codes[keep])
        kept_totals.append(totals[keep])
    codes, totals = np.concatenate(kept_codes), np.concatenate(kept_totals)
    del kept_codes, kept_totals
    by_code = np.argsort(codes)  # in pair order, whatever the blocks
    first, second = np.divmod(codes[by_code], n)
    return Pairs(first.astype(np.int32), second.astype(np.int32), totals[by_code])


def _average_link(
    groups: list[list[int]],
    frozen: list[bool],
    similarities: Pairs,
    threshold: float,
) -> list[list[int]]:
    """Merge groups of document indices while the best mean pairwise similarity reaches threshold.

    Two frozen groups (existing stories) never merge; a group merged into a frozen one is frozen.
    Ties are broken by group number, so the result does not depend on hash order.

    A merged group's mean similarity with another is a weighted mean of its parts' with it, so
    every merge joins groups that had parts at least `threshold` alike from the start: only the
    links among such groups (active ones) are kept, few in a window of many pairs.
    """
    members = {number: list(group) for number, group in enumerate(groups)}
    is_frozen = dict(enumerate(frozen))
    links = _active_links(groups, frozen, similarities, threshold)

    def mean(a: int, b: int) -> float:
        return links[a][b] / (len(members[a]) * len(members[b]))

    heap = [(-mean(a, b), a, b) for a in links for b in links[a] if a < b and not (is_frozen[a] and is_frozen[b])]
    heapq.heapify(heap)
    next_number = len(groups)
    while heap:
        negative_mean, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue  # one of them has merged since
        if -negative_mean < threshold:
            break
        merged = next_number
        next_number += 1
        members[merged] = members.pop(a) + members.pop(b)
        is_frozen[merged] = is_frozen[a] or is_frozen[b]
        links[merged] = {}
        for old in (a, b):
            for other, total in links.pop(old).items():
                if other in (a, b):
                    continue
                del links[other][old]
                links[merged][other] = links[merged].get(other, 0.0) + total
        for other, total in links[merged].items():
            links[other][merged] = total
            if not (is_frozen[merged] and is_frozen[other]):
                heapq.heappush(heap, (-mean(merged, other), min(merged, other), max(merged, other)))
    return list(members.values())


def _active_links(
    groups: list[list[int]], frozen: list[bool], similarities: Pairs, threshold: float
) -> dict[int, dict[int, float]]:
    """The summed similarity between groups, for the pairs of groups that may merge (not both
    frozen) and whose groups each have a mean similarity of at least `threshold` with some group."""
    sizes = np.array([len(group) for group in groups], dtype=np.int64)
    group_of = np.empty(int(sizes.sum()), dtype=np.int64)
    for number, group in enumerate(groups):
        group_of[group] = number
    is_frozen = np.asarray(frozen, dtype=bool)
    a, b = group_of[similarities.first], group_of[similarities.second]
    apart = (a != b) & ~(is_frozen[a] & is_frozen[b])
    a, b, values = a[apart], b[apart], similarities.values[apart]
    # Summed in pair order, as one by one.
    codes, inverse = np.unique(np.minimum(a, b) * len(groups) + np.maximum(a, b), return_inverse=True)
    totals = np.bincount(inverse, weights=values, minlength=codes.size)
    low, high = np.divmod(codes, len(groups))
    active = np.zeros(len(groups), dtype=bool)
    # A hair below the threshold too: a merged group's mean, summed in another order, may round up.
    strong = totals / (sizes[low] * sizes[high]) >= threshold * (1 - 1e-9)
    active[low[strong]] = active[high[strong]] = True
    kept = active[low] & active[high]
    links: dict[int, dict[int, float]] = {int(number): {} for number in np.flatnonzero(active)}
    for i, j, total in zip(low[kept].tolist(), high[kept].tolist(), totals[kept].tolist()):
        links[i][j] = links[j][i] = total
    return links


def calibration_for(model_id: str) -> Calibration:
    """The calibration of the model an embedder's `model_id` names."""
    return next((calibration for name, calibration in CALIBRATIONS.items() if name in model_id), E5_SMALL)


def _by_time(document: Document) -> tuple[datetime, int]:
    return document.published, document.key


def assign_stories(
    new: Sequence[Document],
    stories: Mapping[int, Sequence[Document]],
    *,
    window: timedelta = STORY_WINDOW,
    calibration: Calibration = E5_SMALL,
) -> Assignment:
    """Assign new documents to existing stories or group them into new ones.

    `stories` maps a story id to its member documents. Only members published within `window` of
    some new document take part; a new document joins at most one story.
    """
    if not new:
        return Assignment(to_existing={}, new_stories=[])
    new = sorted(new, key=_by_time)
    earliest, latest = new[0].published - window, max(document.published for document in new) + window
    documents: list[Document] = list(new)
    groups = [[index] for index in range(len(new))]
    story_of_group: list[int | None] = [None] * len(new)
    for story_id in sorted(stories):
        members = sorted(stories[story_id], key=_by_time)
        recent = [member for member in members if earliest <= member.published <= latest]
        if recent:
            groups.append(list(range(len(documents), len(documents) + len(recent))))
            documents.extend(recent)
            story_of_group.append(story_id)

    frozen = [story is not None for story in story_of_group]
    story_of_member = {member: story_of_group[number] for number, group in enumerate(groups) for member in group}
    settled = np.arange(len(documents)) >= len(new)
    # Pairs far below the threshold change group means little and would only slow the merging.
    similarities = _similarities(documents, window, calibration, calibration.threshold * _NEGLIGIBLE, settled)
    merged = _average_link(groups, frozen, similarities, calibration.threshold)

    to_existing: dict[int, int] = {}
    new_groups: list[list[int]] = []
    for group in merged:
        story_ids = {story_of_member[member] for member in group} - {None}
        newcomers = sorted(member for member in group if member < len(new))  # indices into `new`
        if story_ids:
            (story_id,) = story_ids
            to_existing.update({new[member].key: story_id for member in newcomers})
        elif newcomers:
            new_groups.append(newcomers)
    new_groups.sort()  # by earliest publication
    return Assignment(to_existing, [[new[member].key for member in group] for group in new_groups])
