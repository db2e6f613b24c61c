"""Support by meaning: a sentence is supported when some source sentence says much the same,
in any language (cross-lingual sentence embeddings, cosine of unit vectors).

It catches what the names check cannot: a sentence without names that the sources never state
("The company has been forced to cancel all future service plans"). Its score is the sentence's
highest cosine against the source sentences; the threshold is the configuration's
(trust.support_threshold, chosen on the labelled set with bench/faithfulness.py), and a higher
one (trust.support_across_languages) for a sentence in a language none of its sources is written
in: there no wording check backs it, and a sentence that changes one word of its source ("lac" for
"bahía") scores as close to it as a faithful one. Vectors of
the texts seen last are kept, so a summary checked again at the door, or a second candidate of
the same request, does not embed its sources again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from summarizer.checks.base import Evidence, SentenceCheck, Verdict
from summarizer.embeddings import Embedder
from summarizer.language import detect_language
from summarizer.text import split_sentences

# Source sentences compared: the opening ones of each text (news puts its facts first), bounding
# the work of one request (about 36 ms of one core per sentence for the offline model).
SENTENCES_PER_TEXT = 40
MAX_SOURCE_SENTENCES = 200
CACHED_VECTORS = 4096


class EmbeddingSupport(SentenceCheck):
    name = "support"

    def __init__(
        self, embedder: Embedder, threshold: float, *, across_languages: float | None = None, cached: int = CACHED_VECTORS
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.across_languages = threshold if across_languages is None else across_languages
        self._cached = cached
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        # One embedding call at a time: candidates and door checks of many stories run in worker
        # threads together, and each call already uses the embedder's threads.
        self._embedding = threading.Lock()

    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        sources = source_sentences(evidence)
        if not sentences:
            return []
        if not sources:
            return [Verdict(False, 0.0, "no source sentences") for _ in sentences]
        vectors = self.vectors([*sentences, *sources])
        best = (vectors[: len(sentences)] @ vectors[len(sentences) :].T).max(axis=1)
        return [self._verdict(sentence, float(score), evidence) for sentence, score in zip(sentences, best, strict=True)]

    def _verdict(self, sentence: str, score: float, evidence: Evidence) -> Verdict:
        if score < self.threshold:
            return Verdict(False, score, f"said by no source (similarity {score:.2f}, below {self.threshold:.2f})")
        # The language is read only for a score between the two bars.
        if score >= self.across_languages or detect_language(sentence) in evidence.languages:
            return Verdict(True, score)
        return Verdict(False, score, f"said by no source (similarity {score:.2f}, below {self.across_languages:.2f} across languages)")

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of the texts, embedding only those not seen lately."""
        with self._lock:
            known = {text: self._vectors[text] for text in texts if text in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            with self._embedding:
                fresh = self.embedder.embed(missing)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
                while len(self._vectors) > self._cached:
                    self._vectors.popitem(last=False)
        return np.stack([known[text] for text in texts])


def source_sentences(evidence: Evidence) -> list[str]:
    """The source sentences a summary sentence is compared with."""
    opening = (sentence for text in evidence.texts for sentence in split_sentences(text)[:SENTENCES_PER_TEXT])
    return list(dict.fromkeys(opening))[:MAX_SOURCE_SENTENCES]
