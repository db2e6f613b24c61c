"""The names and numbers two articles share, compared across scripts.

Embeddings say what articles are about; names and numbers say which event: two earthquakes on
one day read alike, their places, magnitudes and tolls do not. An article gives two bags of
features, each TF-IDF weighted over the articles being grouped and L2-normalised:
- names: name keys of the names that extract_mentions finds, which compare across scripts
  ("Matze", "Матц" and "ماتز" share a key), plus every word of uncased scripts such as Arabic as
  weak evidence. Keys that recur in one language only are discounted (German nouns, Arabic
  ordinary words), and a pair sharing fewer than three keys gets part of the credit: one shared
  company or president does not make one story;
- numbers and dates, by value.
Only pairs of articles published within the grouping window are compared.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarizer import Date, Name, Number, extract_mentions, uncased_word_keys

BAGS = ("name", "number")
# How much a word counts as a name: a capitalised word that only starts a sentence may be an
# ordinary word, and in uncased scripts every word is a candidate, so most are ordinary words.
_SENTENCE_INITIAL_NAME = 0.5
_UNCASED_WORD = 0.2
# Name similarity gets full credit from this many shared name keys on, less below.
_NAMES_FOR_FULL_CREDIT = 3
# The weight left to a name that recurs in documents of one language only (see _discount_monolingual).
_MONOLINGUAL = 0.2
# Articles whose features are kept between groupings: every poll round compares the new articles
# with the recent members of existing stories again, and finding names is most of its time. More
# than a busy window holds (20,000 articles in 72 h): a smaller cache, read in time order every
# round, would lose each entry just before it is needed. About 0.85 KB an article.
_CACHED_ARTICLES = 32768


# A bag of one document: its features (64-bit digests of the keys) and each one's weight of evidence.
Bag = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class PairScores:
    """Similarity of pairs i < j of documents: pair code i * n + j (ascending) and score."""

    codes: np.ndarray
    scores: np.ndarray


def _count_features(title: str, text: str) -> dict[str, Counter[str]]:
    """The features of a document by bag, each with its weight of evidence; the title counts twice."""
    bags: dict[str, Counter[str]] = {bag: Counter() for bag in BAGS}
    for part, times in ((title, 2.0), (text, 1.0)):
        for mention in extract_mentions(part):
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
        for key in uncased_word_keys(part):
            bags["name"][key] += times * _UNCASED_WORD
    return bags


def _feature_id(key: str) -> int:
    # 64 bits: two of the few thousand keys of a window share one by chance once in 10^12 windows.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little", signed=True)


class Features:
    """The bags of one document in one buffer: the digests of its names, then of its numbers, then
    their weights in that order. Kept for every article of a window (FeatureCache): four arrays, two
    tuples and a dictionary took about 550 bytes more an article."""

    __slots__ = ("_buffer", "_names")

    def __init__(self, counts: dict[str, Counter[str]]) -> None:  # _count_features
        names, numbers = counts["name"], counts["number"]
        self._names = len(names)
        digests = np.fromiter(map(_feature_id, [*names, *numbers]), np.int64, len(names) + len(numbers))
        self._buffer = digests.tobytes() + np.array([*names.values(), *numbers.values()], np.float64).tobytes()

    def __getitem__(self, bag: str) -> Bag:
        """The bag's features and weights (read-only arrays)."""
        total = len(self._buffer) // 16
        start, stop = (0, self._names) if bag == "name" else (self._names, total)
        return (np.frombuffer(self._buffer, np.int64, stop - start, 8 * start),
                np.frombuffer(self._buffer, np.float64, stop - start, 8 * (total + start)))


def content_key(title: str, text_digest: str) -> bytes:
    """What the features of an article are cached by: its title and a digest of its text."""
    return hashlib.blake2b(f"{title}\0{text_digest}".encode(), digest_size=16).digest()


class FeatureCache:
    """The features of the articles met last, by a digest of title and text: the texts are not kept."""

    def __init__(self, size: int = _CACHED_ARTICLES) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, Features] = OrderedDict()
        self._lock = threading.Lock()  # grouping runs in worker threads

    def __len__(self) -> int:
        return len(self._entries)

    def cached(self, key: bytes) -> Features | None:
        """The bags cached under `key` (see content_key), if still there."""
        with self._lock:
            if (found := self._entries.get(key)) is not None:
                self._entries.move_to_end(key)
            return found

    def features(self, title: str, text: str, key: bytes | None = None) -> Features:
        """The bags of _count_features(title, text), cached under `key` (by default a digest of
        title and text): callers must not change what it returns."""
        key = key or hashlib.blake2b(f"{title}\0{text}".encode(), digest_size=16).digest()
        if (found := self.cached(key)) is not None:
            return found
        found = Features(_count_features(title, text))
        with self._lock:
            self._entries[key] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found


FEATURES = FeatureCache()


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


def _tfidf(bags: Sequence[Bag]) -> _Vectors:
    """TF-IDF over these documents, L2-normalised.

    TF grows with the logarithm beyond one occurrence (1 + log tf) and linearly below it, where
    weak evidence sums to less than one; IDF is smoothed, ln((1 + n) / (1 + df)) + 1.
    """
    digests = np.concatenate([np.empty(0, np.int64), *(keys for keys, _ in bags)])
    ids, feature_ids = np.unique(digests, return_inverse=True)
    document_ids = np.repeat(np.arange(len(bags)), [len(keys) for keys, _ in bags])
    tf = np.concatenate([np.empty(0), *(weights for _, weights in bags)])
    document_frequency = np.bincount(feature_ids, minlength=len(ids))
    idf = np.log((1 + len(bags)) / (1 + document_frequency)) + 1
    weights = np.where(tf >= 1, 1 + np.log(np.maximum(tf, 1)), tf) * idf[feature_ids]
    return _Vectors(document_ids, feature_ids, weights).normalised()


def _discount_monolingual(vectors: _Vectors, languages: Sequence[str]) -> _Vectors:
    """Down-weight name keys that recur in several documents, all of one language.

    Such keys are mostly capitalised common nouns (German "Erdbeben") or ordinary words (every
    Arabic word is a name candidate); real names of a story that crosses languages show up in
    several. A key seen in one document only is left alone: the collection says nothing about it.
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


def _weighted(bags: Sequence[Features], bag: str, languages: Sequence[str]) -> _Vectors:
    """One bag's TF-IDF entries over the documents; names of one language only discounted."""
    vectors = _tfidf([features[bag] for features in bags])
    return _discount_monolingual(vectors, languages) if bag == "name" else vectors


class _Postings:
    """One bag's features as posting lists in time order. Pairs come from each feature's list
    within the window, so their number grows with the sum of squared document frequencies, not
    n^2; in a busy window that is still many millions (a year, a president), so they are made a
    block of earlier documents at a time (`pairs_per_rank` tells how many each document makes).
    Two settled documents (members of existing stories) are never paired: each entry pairs with
    the later entries of its list that are not settled, and an unsettled entry with the settled ones too."""

    def __init__(self, vectors: _Vectors, rank: np.ndarray, window_end: np.ndarray, settled: np.ndarray) -> None:
        n = rank.size
        order = np.lexsort((rank[vectors.documents], vectors.features))
        self.n = n
        # Indices and counts as int32 (a window holds far fewer than 2^31 entries): these arrays
        # are kept while every block is paired, and grow with the window.
        self.documents, self.weights = vectors.documents[order].astype(np.int32), vectors.weights[order]
        features = vectors.features[order]
        del order, vectors  # NamesAndNumbers keeps no reference: a window's entries are not held twice
        entry_ranks = rank[self.documents]
        keys = features * n + entry_ranks  # ascending: by feature, then rank
        ends = features * n + window_end[self.documents]
        del features
        open_entries = ~settled[self.documents]
        # Per side (the later entries not settled; the settled ones), the partners of each entry:
        # `partners` entries of `targets` from `first` on (targets in key order).
        self.sides = []
        for targets, pairing in ((np.flatnonzero(open_entries), None), (np.flatnonzero(~open_entries), open_entries)):
            target_keys = keys[targets]
            first = np.searchsorted(target_keys, keys, side="right").astype(np.int32)
            partners = (np.searchsorted(target_keys, ends) - first).astype(np.int32)
            if pairing is not None:
                partners[~pairing] = 0
            self.sides.append((targets.astype(np.int32), first, partners))
        del keys, ends
        self._pairs_per_rank = np.bincount(entry_ranks, weights=sum(partners for _, _, partners in self.sides), minlength=n)
        # The entries of each rank, so that a block of ranks finds its own without a scan.
        self.by_rank = np.argsort(entry_ranks, kind="stable").astype(np.int32)
        self.rank_starts = np.searchsorted(entry_ranks[self.by_rank], np.arange(n + 1))

    def pairs_per_rank(self) -> np.ndarray:
        """How many pairings (one per shared feature) each document, by time rank, starts with later ones."""
        return self._pairs_per_rank

    def overlaps(self, start: int, stop: int) -> tuple[PairScores, np.ndarray]:
        """Dot products of the pairs whose earlier document has a time rank in [start, stop) and
        that share a feature within the window, and how many features each pair shares."""
        entries = self.by_rank[self.rank_starts[start] : self.rank_starts[stop]]
        lefts, rights = [], []
        for targets, first, partners in self.sides:
            counts = partners[entries].astype(np.int64)
            left = np.repeat(entries, counts)
            offsets = np.arange(left.size) - np.repeat(np.cumsum(counts) - counts, counts)
            lefts.append(left)
            rights.append(targets[np.repeat(first[entries], counts) + offsets])
        left, right = np.concatenate(lefts), np.concatenate(rights)
        # Time order is not index order: the smaller index goes first, so a pair has one code.
        first, second = self.documents[left].astype(np.int64), self.documents[right].astype(np.int64)
        codes, inverse = np.unique(np.minimum(first, second) * self.n + np.maximum(first, second), return_inverse=True)
        dots = np.bincount(inverse, weights=self.weights[left] * self.weights[right], minlength=codes.size)
        shared = np.bincount(inverse, minlength=codes.size)
        return PairScores(codes, dots), shared


class NamesAndNumbers:
    """Per bag, the similarity of pairs of documents published within `window` that share a
    feature of it (`times` and `window` in one integer unit), a block of earlier documents at a
    time: documents ranked by publication time (a stable sort of `times`). `bags` are each
    document's (FeatureCache.features); pairs of two `settled` documents are left out."""

    def __init__(
        self, bags: Sequence[Features], languages: Sequence[str], times: np.ndarray, window: int,
        settled: np.ndarray,
    ) -> None:
        n = times.size
        by_time = np.argsort(times, kind="stable")
        rank = np.empty(n, dtype=np.int64)
        rank[by_time] = np.arange(n)
        window_end = np.searchsorted(times[by_time], times + window, side="right")
        self._postings = {}
        for bag in BAGS:
            self._postings[bag] = _Postings(_weighted(bags, bag, languages), rank, window_end, settled)

    def pairs_per_rank(self) -> np.ndarray:
        """How many pairings each document, by time rank, starts with later ones, over the bags."""
        return sum(postings.pairs_per_rank() for postings in self._postings.values())

    def scores(self, start: int, stop: int) -> dict[str, PairScores]:
        """Per bag, the pairs whose earlier document has a time rank in [start, stop)."""
        scores = {}
        for bag, postings in self._postings.items():
            overlaps, shared = postings.overlaps(start, stop)
            if bag == "name":
                # One shared name (the same company, the same president) does not make the same story.
                overlaps = PairScores(overlaps.codes, overlaps.scores * np.minimum(1.0, shared / _NAMES_FOR_FULL_CREDIT))
            scores[bag] = overlaps
        return scores
