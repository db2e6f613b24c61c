"""Language-centred vectors: the part of an embedding that only says which language a text is
written in, taken out before texts are compared.

A multilingual embedder places the texts of one language around a point of their own, so two
texts in one language score above two texts in two languages whatever they say (with
multilingual-e5-small, unrelated articles average a cosine of 0.81 in one language and 0.78 across
two), and a language whose texts sit closer together scores higher than another. Subtracting each
language's mean vector and normalising again leaves what the texts say: one threshold then holds
for pairs in one language and in two, and for every language alike.

How to use it (the vectors of one model, each with its text's language, ISO 639-1 or None):

    centres = LanguageCentres.estimate(embedder.model_id, stored_vectors, stored_languages)
    a = centres.centre(vectors_a, languages_a)   # unit rows, comparable by dot product
    b = centres.centre(vectors_b, languages_b)
    similarity = a @ b.T                         # centred cosine: unrelated texts score near 0

Estimate the means from many texts of the kind compared (the store's articles for articles):
a language's mean is pulled toward the mean of all languages while it has few texts
(`prior_texts`), and a text of a language without any (or None) is centred on that overall mean.
Centred cosines have a scale of their own (unrelated news near 0, the same event often above 0.4):
thresholds chosen on raw cosines do not carry over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.embeddings.base import EmbeddingError, unit_rows

# How many texts of a language count as much as the all-language mean it is pulled toward: below
# this a language's own mean is mostly noise (its texts' topics, not its language).
PRIOR_TEXTS = 20


@dataclass(frozen=True)
class LanguageCentres:
    """The mean vector of each language, and of all, in one model's vector space."""

    model_id: str
    overall: np.ndarray
    means: Mapping[str, np.ndarray]
    counts: Mapping[str, int]

    @classmethod
    def estimate(
        cls, model_id: str, vectors: np.ndarray, languages: Sequence[str | None], *, prior_texts: float = PRIOR_TEXTS
    ) -> LanguageCentres:
        """Means from texts of the model `model_id`: unit `vectors`, one row per text of `languages`."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(languages):
            raise EmbeddingError(f"{len(languages)} languages for vectors of shape {vectors.shape}")
        if not len(vectors):
            return cls(model_id, np.zeros(0, dtype=np.float32), {}, {})
        overall = vectors.mean(axis=0)
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        for vector, language in zip(vectors, languages, strict=True):
            if language:
                sums[language] = sums.get(language, 0) + vector
                counts[language] = counts.get(language, 0) + 1
        means = {
            language: (total + prior_texts * overall) / (counts[language] + prior_texts)
            for language, total in sums.items()
        }
        return cls(model_id, overall, means, counts)

    def centre(self, vectors: np.ndarray, languages: Sequence[str | None], *, model_id: str | None = None) -> np.ndarray:
        """Unit rows of `vectors` less their language's mean (the overall mean for a language
        without one). With `model_id`, refuses vectors of another model than the means'."""
        if model_id is not None and model_id != self.model_id:
            raise EmbeddingError(f"vectors of {model_id} centred with the means of {self.model_id}")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != len(languages):
            raise EmbeddingError(f"{len(languages)} languages for {len(vectors)} vectors")
        if not self.overall.size or not len(vectors):
            return unit_rows(vectors)
        if vectors.shape[1] != self.overall.size:
            raise EmbeddingError(f"vectors of length {vectors.shape[1]}, means of length {self.overall.size}")
        offsets = np.stack([self.means.get(language or "", self.overall) for language in languages])
        return unit_rows(vectors - offsets)
