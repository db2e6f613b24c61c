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

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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
# with the recent members of existing stories again, and finding names is most of its time.
_CACHED_ARTICLES = 16384


@dataclass(frozen=True)
class PairScores:
    """Similarity of pairs i < j of documents: pair code i * n + j (ascending) and score."""

    codes: np.ndarray
    scores: np.ndarray


@lru_cache(maxsize=_CACHED_ARTICLES)
def _bags(title: str, text: str) -> dict[str, Counter[str]]:
    """The features of a document by bag, each with its weight of evidence; the title counts twice.
    Cached: callers must not change what it returns."""
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


def _tfidf(counts: Sequence[Counter[str]]) -> _Vectors:
    """TF-IDF over these documents, L2-normalised.

    TF grows with the logarithm beyond one occurrence (1 + log tf) and linearly below it, where
    weak evidence sums to less than one; IDF is smoothed, ln((1 + n) / (1 + df)) + 1.
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


def _overlaps(vectors: _Vectors, times: np.ndarray, window: int) -> tuple[PairScores, np.ndarray]:
    """Dot products of the pairs that share a feature and were published at most `window` apart
    (`times` and `window` in one integer unit), and how many features each pair shares.

    Pairs are generated per feature from its posting list: a name that recurs over a long
    backlog would otherwise pair every document that mentions it. The cost grows with the sum of
    squared document frequencies within a window, not n^2."""
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
    return PairScores(codes, dots), shared


def names_and_numbers(
    titles: Sequence[str], texts: Sequence[str], languages: Sequence[str], times: np.ndarray, window: int
) -> dict[str, PairScores]:
    """Per bag, the similarity of the pairs of documents published within `window` that share
    a feature of it (`times` and `window` in one integer unit)."""
    bags = [_bags(title, text) for title, text in zip(titles, texts)]
    scores = {}
    for bag in BAGS:
        vectors = _tfidf([features[bag] for features in bags])
        if bag == "name":
            vectors = _discount_monolingual(vectors, languages)
        overlaps, shared = _overlaps(vectors, times, window)
        if bag == "name":
            # One shared name (the same company, the same president) does not make the same story.
            overlaps = PairScores(overlaps.codes, overlaps.scores * np.minimum(1.0, shared / _NAMES_FOR_FULL_CREDIT))
        scores[bag] = overlaps
    return scores
