"""What a sentence check is: given a text's sentences and its sources, a verdict on each sentence.

Every check answers the same question (does the source material support this sentence?) its own
way: the names, numbers and dates it states are in a source; it means what a source sentence
means (embeddings); a source passage entails it (NLI). A verdict's score is the check's own
measure, higher meaning better supported, so a bench can sweep its threshold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from summarizer.facts.grounding import SourceIndex, index_sources
from summarizer.language import detect_language
from summarizer.text import split_sentences, word_stems


@dataclass(frozen=True)
class Verdict:
    supported: bool
    score: float
    reason: str = ""  # why a sentence fails, for logs and for the reasons a text is withheld


class Evidence:
    """The sources of one request, read once for every check and every candidate text."""

    def __init__(self, texts: Sequence[str], index: SourceIndex | None = None) -> None:
        self.texts = tuple(texts)
        if index is not None:
            self.__dict__["index"] = index

    @cached_property
    def index(self) -> SourceIndex:
        """Their names, numbers and dates."""
        return index_sources(self.texts)

    @cached_property
    def sentences(self) -> list[str]:
        """Their sentences (titles and other lines count as sentences), each once, in order."""
        return list(dict.fromkeys(sentence for text in self.texts for sentence in split_sentences(text)))

    @cached_property
    def languages(self) -> frozenset[str]:
        """The languages they are written in."""
        return frozenset(filter(None, (detect_language(text) for text in self.texts)))

    @cached_property
    def word_stems(self) -> frozenset[str]:
        """The first letters of every word they use (summarizer.checks.wording reads them)."""
        return frozenset(stem for text in self.texts for stem in word_stems(text))


class SentenceCheck(ABC):
    name: str  # "names", "support", "entailment": says which check a reason comes from

    @abstractmethod
    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        """One verdict per sentence. The sentences are those of one text, in order (a check may
        read one in the light of the others). Blocking: run it from a worker thread."""
