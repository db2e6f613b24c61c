"""Grouping articles into stories, across languages, without a model.

An article is represented by three bags of features, each TF-IDF weighted over the documents
being grouped (the new ones and the recent members of existing stories) and L2-normalised:
- names: name keys of the names that extract_mentions finds, which compare across scripts
  ("Matze", "Матц" and "ماتز" share a key), plus every word of uncased scripts such as Arabic as
  weak evidence. Keys that recur in one language only are discounted (German nouns, Arabic
  ordinary words), and a pair sharing fewer than three keys gets part of the credit: one shared
  company or president does not make one story;
- numbers and dates, by value;
- character 4-grams of the transliterated content words, which catch shared rare words within a
  language and cognates across languages ("servers", "serveurs", "серверы").
The similarity of two articles is a weighted sum of the three; articles published more than
`window` apart have similarity 0.

Grouping is average-link agglomeration: the two groups with the highest mean pairwise similarity
merge while that mean reaches the threshold. Unlike a connected-components rule, a chain of
pairwise links (A like B, B like C) does not pull A and C together unless the merged group stays
similar on average. Existing stories are groups that never merge with each other: a new article
joins a story when its mean similarity to the story's recent members reaches the threshold, by
the same rule that groups new articles among themselves, so grouping a day's articles at once or
as they arrive gives the same stories as far as possible.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import chain

import numpy as np
import regex
from anyascii import anyascii

from summarizer.mentions import Date, Name, Number, extract_mentions, uncased_word_keys

# How much each bag counts in the similarity; they add up to 1.
_WEIGHTS = {"name": 0.5, "number": 0.2, "gram": 0.3}
# How much a word counts as a name: a capitalised word that only starts a sentence may be an
# ordinary word, and in uncased scripts every word is a candidate, so most are ordinary words.
_SENTENCE_INITIAL_NAME = 0.5
_UNCASED_WORD = 0.2
# Name similarity gets full credit from this many shared name keys on, less below.
_NAMES_FOR_FULL_CREDIT = 3
# The weight left to a name that recurs in documents of one language only (see _discount_monolingual).
_MONOLINGUAL = 0.2
# Only the most informative character n-grams of an article are kept: they carry its topic, and
# dropping the common ones keeps the pairwise computation sparse.
_GRAMS_PER_DOCUMENT = 200
_GRAM = 4
_CONTENT_WORD = regex.compile(r"[\p{L}\p{M}]{5,}")
# Tuned on tests/data/stories.jsonl with the Parler corpus (bench/story_grouping.py): pair
# precision and recall are 1.0 from 0.06 to 0.12, grouped at once and five at a time; the Parler
# articles alone stay one story up to 0.16.
DEFAULT_THRESHOLD = 0.1
# Similarities below this fraction of the threshold count as none.
_NEGLIGIBLE = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Document:
    key: int  # article id
    title: str
    text: str
    language: str | None
    published: datetime  # tz-aware UTC


@dataclass(frozen=True)
class Assignment:
    to_existing: dict[int, int]  # document key -> existing story id
    new_stories: list[list[int]]  # groups of document keys that start new stories (singletons included)


@lru_cache(maxsize=65536)
def _grams(word: str) -> tuple[str, ...]:
    padded = f" {anyascii(word)} "
    return tuple(padded[i : i + _GRAM] for i in range(len(padded) - _GRAM + 1))


def _bags(document: Document) -> dict[str, Counter[str]]:
    """The features of a document by bag, each with its weight of evidence; the title counts twice."""
    bags: dict[str, Counter[str]] = {bag: Counter() for bag in _WEIGHTS}
    for text, times in ((document.title, 2.0), (document.text, 1.0)):
        for mention in extract_mentions(text):
            match mention:
                case Name():
                    doubtful = mention.sentence_initial and len(mention.keys) == 1
                    evidence = times * (_SENTENCE_INITIAL_NAME if doubtful else 1.0)
                    for key in mention.keys:
                        if len(key) >= 2:
                            bags["name"][key] += evidence
                case Number():
                    for value in mention.values:
                        bags["number"][f"{value * mention.scale:f}"] += times
                case Date():
                    for month, day in mention.days:
                        bags["number"][f"{month}-{day}"] += times
        for key in uncased_word_keys(text):
            bags["name"][key] += times * _UNCASED_WORD
        grams = Counter(chain.from_iterable(map(_grams, _CONTENT_WORD.findall(text.lower()))))
        bags["gram"].update(grams if times == 1 else {gram: times * count for gram, count in grams.items()})
    return bags


@dataclass(frozen=True)
class _Vectors:
    """Sparse document vectors: entry k gives `weights[k]` to feature `features[k]` of document
    `documents[k]`, sorted by document."""

    documents: np.ndarray
    features: np.ndarray
    weights: np.ndarray

    def normalised(self) -> _Vectors:
        norms = np.sqrt(np.bincount(self.documents, weights=self.weights**2))
        return _Vectors(self.documents, self.features, self.weights / norms[self.documents])


def _tfidf(counts: Sequence[Counter[str]], keep: int | None) -> _Vectors:
    """TF-IDF over these documents, L2-normalised, keeping each document's top `keep` features.

    TF grows with the logarithm beyond one occurrence (1 + log tf) and linearly below it, where
    weak evidence sums to less than one; IDF is smoothed, ln((1 + n) / (1 + df)) + 1. Ties are
    broken by first appearance of the feature, so the result does not depend on hash order.
    """
    ids: dict[str, int] = {}
    documents, features, frequencies = [], [], []
    for document, count in enumerate(counts):
        documents += [document] * len(count)
        features += [ids.setdefault(feature, len(ids)) for feature in count]
        frequencies += count.values()
    document_ids = np.asarray(documents, dtype=np.int64)
    feature_ids = np.asarray(features, dtype=np.int64)
    tf = np.asarray(frequencies, dtype=np.float64)
    document_frequency = np.bincount(feature_ids, minlength=len(ids))
    idf = np.log((1 + len(counts)) / (1 + document_frequency)) + 1
    weights = np.where(tf >= 1, 1 + np.log(np.maximum(tf, 1)), tf) * idf[feature_ids]
    order = np.lexsort((feature_ids, -weights, document_ids))
    document_ids, feature_ids, weights = document_ids[order], feature_ids[order], weights[order]
    if keep is not None:
        starts = np.searchsorted(document_ids, document_ids, side="left")
        top = np.arange(document_ids.size) - starts < keep
        document_ids, feature_ids, weights = document_ids[top], feature_ids[top], weights[top]
    return _Vectors(document_ids, feature_ids, weights).normalised()


def _discount_monolingual(vectors: _Vectors, languages: Sequence[str]) -> _Vectors:
    """Down-weight name keys that recur in several documents, all of one language.

    Such keys are mostly capitalised common nouns (German "Erdbeben") or ordinary words (every
    Arabic word is a name candidate); real names of a story that crosses languages show up in
    several. Within one language the character n-grams compare documents anyway. A key seen in one
    document only is left alone: the collection says nothing about it.
    """
    language_ids = {language: number for number, language in enumerate(sorted(set(languages)))}
    if len(language_ids) < 2:
        return vectors
    entry_languages = np.asarray([language_ids[language] for language in languages], dtype=np.int64)[vectors.documents]
    features = int(vectors.features.max(initial=-1)) + 1
    documents = np.bincount(vectors.features, minlength=features)
    feature_languages = np.unique(vectors.features * len(language_ids) + entry_languages) // len(language_ids)
    languages_per_feature = np.bincount(feature_languages, minlength=features)
    monolingual = (documents > 1) & (languages_per_feature == 1)
    weights = np.where(monolingual[vectors.features], vectors.weights * _MONOLINGUAL, vectors.weights)
    return _Vectors(vectors.documents, vectors.features, weights).normalised()


@dataclass(frozen=True)
class _Overlaps:
    """For every pair i < j of documents published within the window and sharing a feature: pair
    code i * n + j, dot product, shared features."""

    codes: np.ndarray
    dots: np.ndarray
    shared: np.ndarray


def _overlaps(vectors: _Vectors, times: np.ndarray, window: int) -> _Overlaps:
    """Pairs are generated per feature from its posting list, and only between documents published
    at most `window` apart (`times` and `window` in one integer unit): a name that recurs over a
    long backlog would otherwise pair every document that mentions it. The cost grows with the sum
    of squared document frequencies within a window (kept small by IDF and the per-document
    feature limit), not n^2."""
    n = times.size
    # Documents ranked by publication time, so that the end of a document's window is a rank.
    by_time = np.argsort(times, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[by_time] = np.arange(n)
    window_end = np.searchsorted(times[by_time], times + window, side="right")
    # Posting lists in time order: each entry pairs with the later entries of its feature's list
    # that come before its window end.
    order = np.lexsort((rank[vectors.documents], vectors.features))
    features, documents, weights = vectors.features[order], vectors.documents[order], vectors.weights[order]
    keys = features * n + rank[documents]  # ascending: by feature, then rank
    ends = np.searchsorted(keys, features * n + window_end[documents])
    entries = np.arange(features.size)
    partners = ends - entries - 1
    left = np.repeat(entries, partners)
    right = left + 1 + np.arange(left.size) - np.repeat(np.cumsum(partners) - partners, partners)
    # Time order is not index order: the smaller index goes first, so a pair has one code.
    first, second = documents[left], documents[right]
    codes, inverse = np.unique(np.minimum(first, second) * n + np.maximum(first, second), return_inverse=True)
    dots = np.bincount(inverse, weights=weights[left] * weights[right], minlength=codes.size)
    shared = np.bincount(inverse, minlength=codes.size)
    return _Overlaps(codes, dots, shared)


def _similarities(documents: Sequence[Document], window: timedelta, floor: float) -> dict[tuple[int, int], float]:
    """Similarity of the pairs i < j of documents published within `window`, where at least `floor`."""
    n = len(documents)
    bags = [_bags(document) for document in documents]
    languages = [document.language or "" for document in documents]
    # Whole microseconds, so that a pair exactly `window` apart is within it.
    times = np.array([(document.published - _EPOCH) // _MICROSECOND for document in documents], dtype=np.int64)
    codes, scores = [], []
    for bag, weight in _WEIGHTS.items():
        vectors = _tfidf([features[bag] for features in bags], _GRAMS_PER_DOCUMENT if bag == "gram" else None)
        if bag == "name":
            vectors = _discount_monolingual(vectors, languages)
        overlaps = _overlaps(vectors, times, window // _MICROSECOND)
        score = overlaps.dots
        if bag == "name":
            # One shared name (the same company, the same president) does not make the same story.
            score = score * np.minimum(1.0, overlaps.shared / _NAMES_FOR_FULL_CREDIT)
        codes.append(overlaps.codes)
        scores.append(weight * score)
    pair_codes, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    totals = np.bincount(inverse, weights=np.concatenate(scores), minlength=pair_codes.size)
    first, second = np.divmod(pair_codes, n)
    keep = totals >= floor
    return dict(zip(zip(first[keep].tolist(), second[keep].tolist()), totals[keep].tolist()))


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


def _by_time(document: Document) -> tuple[datetime, int]:
    return document.published, document.key


def assign_stories(
    new: Sequence[Document],
    stories: Mapping[int, Sequence[Document]],
    *,
    window: timedelta = timedelta(hours=72),
    threshold: float = DEFAULT_THRESHOLD,
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
    similarities = _similarities(documents, window, floor=threshold * _NEGLIGIBLE)
    merged = _average_link(groups, frozen, similarities, threshold)

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
