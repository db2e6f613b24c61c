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

from bot.stories.evidence import NamesAndNumbers, PairScores

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
# looked at at once: both bound the memory of grouping a busy window, whatever it holds.
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


@dataclass(frozen=True)
class Assignment:
    to_existing: dict[int, int]  # document key -> existing story id
    new_stories: list[list[int]]  # groups of document keys that start new stories (singletons included)


def _meaning(
    vectors: np.ndarray, order: np.ndarray, sorted_times: np.ndarray, start: int, stop: int, window: int,
    calibration: Calibration,
) -> PairScores:
    """Rescaled cosines of the pairs whose earlier document is of time rank [start, stop) (`order`:
    documents in time order), published within `window`, whose cosine is above the unrelated cosine."""
    unrelated = calibration.unrelated_cosine
    n = order.size
    end = int(np.searchsorted(sorted_times, sorted_times[stop - 1] + window, side="right"))
    rows, columns = order[start:stop], order[start:end]
    cosines = vectors[rows] @ vectors[columns].T
    later = np.arange(start, stop)[:, None] < np.arange(start, end)[None, :]
    within = sorted_times[None, start:end] - sorted_times[start:stop, None] <= window
    row, column = np.nonzero(later & within & (cosines > unrelated))
    first, second = rows[row], columns[column]
    codes = np.minimum(first, second) * n + np.maximum(first, second)
    return PairScores(codes, np.minimum(1.0, (cosines[row, column] - unrelated) / (1 - unrelated)))


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


def _similarities(
    documents: Sequence[Document], window: timedelta, calibration: Calibration, floor: float
) -> dict[tuple[int, int], float]:
    """Similarity of the pairs i < j of documents published within `window`, where at least `floor`.

    Computed a block of earlier documents at a time, each block's candidate pairs (cosines and
    shared features) within _PAIRS_PER_BLOCK, and only the pairs of at least `floor` kept: a busy
    window has many millions of candidates and few pairs that count."""
    n = len(documents)
    languages = [document.language or "" for document in documents]
    # Whole microseconds, so that a pair exactly `window` apart is within it.
    times = np.array([(document.published - _EPOCH) // _MICROSECOND for document in documents], dtype=np.int64)
    span = window // _MICROSECOND
    vectors = np.stack([document.vector for document in documents]).astype(np.float32, copy=False)
    order = np.argsort(times, kind="stable")
    sorted_times = times[order]
    weights = calibration.weights
    # Candidates per document by time rank: the cosines with those after it in the window, and its shared features.
    costs = (np.searchsorted(sorted_times, sorted_times + span, side="right") - np.arange(n)).astype(np.float64)
    evidence = None
    if set(weights) - {"meaning"}:
        titles, texts = [document.title for document in documents], [document.text for document in documents]
        evidence = NamesAndNumbers(titles, texts, languages, times, span)
        costs += evidence.pairs_per_rank()
    kept_codes, kept_totals = [], []
    for start, stop in _blocks(costs, _PAIRS_PER_BLOCK, _BLOCK):
        signals = {"meaning": _meaning(vectors, order, sorted_times, start, stop, span, calibration)}
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
    by_code = np.argsort(codes)  # in pair order, whatever the blocks
    first, second = np.divmod(codes[by_code], n)
    return dict(zip(zip(first.tolist(), second.tolist()), totals[by_code].tolist()))


def _average_link(
    groups: list[list[int]],
    frozen: list[bool],
    similarities: Mapping[tuple[int, int], float],
    threshold: float,
) -> list[list[int]]:
    """Merge groups of document indices while the best mean pairwise similarity reaches threshold.

    Two frozen groups (existing stories) never merge; a group merged into a frozen one is frozen.
    Ties are broken by group number, so the result does not depend on hash order.
    """
    group_of = {member: number for number, group in enumerate(groups) for member in group}
    members = {number: list(group) for number, group in enumerate(groups)}
    is_frozen = dict(enumerate(frozen))
    links: dict[int, dict[int, float]] = {number: {} for number in members}
    for (i, j), similarity in similarities.items():
        a, b = group_of[i], group_of[j]
        if a != b:
            links[a][b] = links[a].get(b, 0.0) + similarity
            links[b][a] = links[b].get(a, 0.0) + similarity

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
    # Pairs far below the threshold change group means little and would only slow the merging.
    similarities = _similarities(documents, window, calibration, floor=calibration.threshold * _NEGLIGIBLE)
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
