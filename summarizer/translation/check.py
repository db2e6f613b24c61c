"""Whether a translated sentence says what its own source sentence says, and nothing more.

A small model asked to translate often writes a fluent sentence about something else ("American
Express" for أمازون, Wednesday for neděle), drops half of the sentence, or answers in the source's
language. Each translation is compared with its one source sentence, not with a whole article:
- it is in the language asked for, and is not the source again;
- it names every name, number, date and weekday of the source sentence, and no other;
- its length is of the source's order (a half-sentence or a ramble fails);
- it means what the source means: the cosine of their sentence embeddings, each language's offset
  taken out (LanguageCentres), is at least `threshold` (trust.translation_threshold, chosen on
  tests/data/translations.jsonl with bench/translation_check.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from summarizer.embeddings import Embedder, LanguageCentres
from summarizer.facts.grounding import find_ungrounded, missing_mentions
from summarizer.language import likeliest_language

# Characters of the translation per character of its source; scripts that write a word in one or
# two signs (Chinese, Japanese, Korean) are not compared.
LENGTH_RATIO = (0.45, 2.2)
_DENSE_SCRIPTS = frozenset({"zh", "ja", "ko"})
_WORD = re.compile(r"\w+")
_STEM = 4  # letters two forms of one word share


class TranslationCheck:
    def __init__(self, embedder: Embedder, threshold: float) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.centres = LanguageCentres.estimate(embedder.model_id, np.zeros((0, 0)), [], reference=True)

    def reasons(
        self, pairs: Sequence[tuple[str, str]], source_language: str, target_language: str
    ) -> list[list[str]]:
        """For each (source sentence, translation), why the translation must not be shown ([] when
        it may). Blocking (embeds): run it from a worker thread."""
        found = [self.form_reasons(source, text, source_language, target_language) for source, text in pairs]
        judged = [index for index, reasons in enumerate(found) if not reasons]
        if judged:
            for index, score in zip(judged, self.meaning([pairs[i] for i in judged], source_language, target_language),
                                    strict=True):
                if score < self.threshold:
                    found[index].append(f"means something else (similarity {score:.2f})")
        return found

    def meaning(self, pairs: Sequence[tuple[str, str]], source_language: str, target_language: str) -> np.ndarray:
        """Cosine of each source and its translation, their languages' offsets taken out."""
        vectors = self.embedder.embed([text for pair in pairs for text in pair])
        centred = self.centres.centre(vectors, [source_language, target_language] * len(pairs))
        return np.einsum("ij,ij->i", centred[0::2], centred[1::2])

    @staticmethod
    def form_reasons(source: str, text: str, source_language: str, target_language: str) -> list[str]:
        """What can be told without a model: language, length, names and numbers."""
        if not text:
            return ["no translation"]
        if " ".join(text.casefold().split()) == " ".join(source.casefold().split()):
            return ["not translated"]
        reasons = []
        written_in = likeliest_language(_own_words(text, source))
        if written_in != target_language:
            reasons.append(f"written in {written_in or 'an unknown language'}")
        if target_language not in _DENSE_SCRIPTS and source_language not in _DENSE_SCRIPTS:
            ratio = len(text) / max(1, len(source))
            if not LENGTH_RATIO[0] <= ratio <= LENGTH_RATIO[1]:
                reasons.append(f"{ratio:.1f} times as long as its source")
        if added := find_ungrounded(text, [source]):
            reasons.append(f"not in its source: {', '.join(added)}")
        if dropped := missing_mentions(source, text):
            reasons.append(f"left out: {', '.join(dropped)}")
        return reasons


def _own_words(text: str, source: str) -> str:
    """The text without the words it shares with its source, maybe inflected there (names, numbers:
    "Děčín" for "Děčína"), which would make a faithful translation look like the source's language."""
    shared = {word.casefold()[:_STEM] for word in _WORD.findall(source)}
    return " ".join(word for word in _WORD.findall(text) if word.casefold()[:_STEM] not in shared)
