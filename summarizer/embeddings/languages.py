"""Language-centred vectors: the part of an embedding that only says which language a text is
written in, taken out before texts are compared.

A multilingual embedder places the texts of one language around a point of their own, so two
texts in one language score above two texts in two languages whatever they say (with
multilingual-e5-small, unrelated articles average a cosine of 0.81 in one language and 0.78 across
two), and a language whose texts sit closer together scores higher than another. Each language's
offset (its mean vector less the mean of all texts) is subtracted and the rows normalised again:
every language's texts then sit around the same point, so one threshold holds for pairs in one
language and in two, and for every language alike, on the model's own cosine scale.

How to use it (the vectors of one model, each with its text's language, ISO 639-1 or None):

    centres = LanguageCentres.estimate(embedder.model_id, stored_vectors, stored_languages)
    a = centres.centre(vectors_a, languages_a)   # unit rows, comparable by dot product
    b = centres.centre(vectors_b, languages_b)
    similarity = a @ b.T

Estimate the offsets from many texts of the kind compared (the store's articles for articles). A
language's own mean says as much about its texts' topics as about the language while it has few
texts: its offset is pulled toward a reference offset in proportion (`prior_texts` texts count as
much as the reference). The reference offsets of a model ship with the package (reference/, see
bench/language_reference.py); a model without them is pulled toward no offset. `common=True` also
takes out the mean of all texts, what every text shares: unrelated texts then score near 0, a scale
of its own (the topic decision compares on it; thresholds chosen on cosines do not carry over).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from summarizer.embeddings.base import EmbeddingError, unit_rows

# How many texts of a language count as much as its reference offset: below this a language's own
# mean is mostly noise (its texts' topics, not its language).
PRIOR_TEXTS = 20
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Reference:
    """A model's language offsets measured once on known texts, and how many texts each had."""

    model_id: str
    overall: np.ndarray
    offsets: Mapping[str, np.ndarray]
    counts: Mapping[str, int]

    def save(self, folder: Path = REFERENCE_DIR) -> Path:
        path = reference_path(self.model_id, folder)
        languages = sorted(self.offsets)
        np.savez_compressed(
            path, model_id=np.array(self.model_id), languages=np.array(languages), overall=self.overall,
            offsets=np.stack([self.offsets[language] for language in languages]).astype(np.float32),
            counts=np.array([self.counts[language] for language in languages]),
        )
        return path


def reference_path(model_id: str, folder: Path = REFERENCE_DIR) -> Path:
    """Where a model's reference offsets are kept: model ids hold slashes, spaces and quotes."""
    return folder / f"{hashlib.sha256(model_id.encode()).hexdigest()[:16]}.npz"


@lru_cache(maxsize=8)
def shipped_reference(model_id: str) -> Reference | None:
    """The reference offsets shipped for `model_id`, or None."""
    path = reference_path(model_id, REFERENCE_DIR)
    if not path.exists():
        return None
    with np.load(path) as stored:
        if str(stored["model_id"]) != model_id:
            return None
        languages = [str(language) for language in stored["languages"]]
        return Reference(
            model_id, stored["overall"], dict(zip(languages, stored["offsets"], strict=True)),
            dict(zip(languages, map(int, stored["counts"]), strict=True)),
        )


@dataclass(frozen=True)
class LanguageCentres:
    """The mean vector of all texts and each language's offset from it, in one model's vector space."""

    model_id: str
    overall: np.ndarray
    offsets: Mapping[str, np.ndarray]
    counts: Mapping[str, int]  # the texts each offset was estimated from (the reference's not counted)

    @classmethod
    def estimate(
        cls,
        model_id: str,
        vectors: np.ndarray,
        languages: Sequence[str | None],
        *,
        prior_texts: float = PRIOR_TEXTS,
        reference: Reference | None | bool = True,
    ) -> LanguageCentres:
        """Offsets from texts of the model `model_id`: unit `vectors`, one row per text of `languages`.
        `reference`: True for the shipped reference of the model (if any), or a Reference, or None."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(languages):
            raise EmbeddingError(f"{len(languages)} languages for vectors of shape {vectors.shape}")
        reference = shipped_reference(model_id) if reference is True else reference or None
        if reference is not None and reference.model_id != model_id:
            raise EmbeddingError(f"reference offsets of {reference.model_id} for vectors of {model_id}")
        prior = dict(reference.offsets) if reference else {}
        if not len(vectors):
            overall = reference.overall if reference else np.zeros(0, dtype=np.float32)
            return cls(model_id, overall, prior, {})
        overall = vectors.mean(axis=0)
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        for vector, language in zip(vectors, languages, strict=True):
            if language:
                sums[language] = sums.get(language, 0) + vector
                counts[language] = counts.get(language, 0) + 1
        offsets = dict(prior)
        for language, total in sums.items():
            own = total - counts[language] * overall  # n × (the language's mean less the overall mean)
            offsets[language] = (own + prior_texts * prior.get(language, 0)) / (counts[language] + prior_texts)
        return cls(model_id, overall, offsets, counts)

    def centre(
        self, vectors: np.ndarray, languages: Sequence[str | None], *, model_id: str | None = None, common: bool = False
    ) -> np.ndarray:
        """Unit rows of `vectors` less their language's offset (none for a language without one);
        with `common`, less the mean of all texts too. With `model_id`, refuses vectors of another
        model than the offsets'."""
        if model_id is not None and model_id != self.model_id:
            raise EmbeddingError(f"vectors of {model_id} centred with the means of {self.model_id}")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != len(languages):
            raise EmbeddingError(f"{len(languages)} languages for {len(vectors)} vectors")
        if not self.overall.size or not len(vectors):
            return unit_rows(vectors)
        if vectors.shape[1] != self.overall.size:
            raise EmbeddingError(f"vectors of length {vectors.shape[1]}, means of length {self.overall.size}")
        none = np.zeros_like(self.overall)
        shift = np.stack([self.offsets.get(language or "", none) for language in languages])
        return unit_rows(vectors - shift - (self.overall if common else 0))
