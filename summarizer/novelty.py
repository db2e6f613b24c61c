"""What a text adds to what readers were already told: sentences with content the told text lacks.

A sentence is new when no sentence of the told text means the same (cross-lingual sentence
embeddings, so a German report of a fact told in English is not new), or when it mentions what the
told text does not: a number, in digits or in words, a date, a weekday or a name, matched as the trust
gate matches a summary with its sources (summarizer.facts.grounding), in any of its languages. Embeddings
read "37 ships" and "42 ships", or "the toll rose to seven" and "four were killed", as one sentence.
The price is the gate's: a name it cannot match across languages ("mer du Nord" for "North Sea") or a
number in other terms ("two-day" for "48-hour") makes a retold sentence new, and repeated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from summarizer.embeddings import Embedder
from summarizer.facts.grounding import find_ungrounded, index_sources
from summarizer.language import detect_language
from summarizer.text import split_sentences

# At or above these cosines (multilingual-e5-small, "query: " prefix) a sentence retells a told one.
# Sentences of one language score higher than across languages whatever they say, so each has its
# bar. Measured on a strike story told in English: the same fact in German or French 0.89-0.90 and
# new facts in German, English or Spanish 0.81-0.83 across languages; within English, paraphrases
# 0.93-1.0 and a new fact of the same story 0.87.
SAME_FACT_SIMILARITY = {"same language": 0.90, "across languages": 0.86}
# Shorter sentences are captions, bylines and fragments, not facts.
MIN_WORDS = 6


def candidate_sentences(texts: Sequence[str], per_text: int = 8) -> list[str]:
    """The sentences of new articles worth comparing: the opening ones of each, where news puts its facts."""
    sentences = []
    for text in texts:
        opening = [s for s in split_sentences(text) if len(s.split()) >= MIN_WORDS][:per_text]
        sentences.extend(s for s in opening if s not in sentences)
    return sentences


def new_sentences(candidates: Sequence[str], told: str, embedder: Embedder) -> list[str]:
    """The candidates that say something `told` does not (blocking: run it in a worker thread)."""
    told_sentences = split_sentences(told)
    if not candidates or not told_sentences:
        return list(candidates)
    vectors = embedder.embed([*candidates, *told_sentences])
    similarity = vectors[: len(candidates)] @ vectors[len(candidates) :].T
    # A sentence whose language is unclear counts as another language: the lower bar, fewer repeats.
    candidate_languages = np.array([detect_language(sentence) or "?" for sentence in candidates])
    told_languages = np.array([detect_language(sentence) or "!" for sentence in told_sentences])
    bars = np.where(candidate_languages[:, None] == told_languages[None, :],
                    SAME_FACT_SIMILARITY["same language"], SAME_FACT_SIMILARITY["across languages"])
    retold = (similarity >= bars).any(axis=1)
    told_facts = index_sources([told])
    return [
        sentence for sentence, known in zip(candidates, retold, strict=True)
        if not known or find_ungrounded(sentence, told_facts)
    ]
