"""Wording: a sentence written in a source's language says it in that source's words.

A small model writing in its source's language swaps one word and keeps the rest ("achètera le
derby" for "arrache le derby"), or writes fluent text about something else; sentence embeddings
score both close to a source sentence, since texts of one language score high whatever they say.
So every content word of such a sentence (lower-case, four letters or more, not one of its
language's function words from stopwords-iso: names, numbers and dates are the names check's) must
start like some word of the sources, at most `new_words` not.
A faithful rewording fails too, and the digest posts the source's lead instead: in the source's
own language the lead is the better text anyway. A sentence in no source's language (a summary
across languages) is left to the other checks.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from functools import cache

import stopwordsiso

from summarizer.checks.base import Evidence, SentenceCheck, Verdict
from summarizer.language import detect_language
from summarizer.text import WORD, word_stems

MIN_LETTERS = 4


class WordingCheck(SentenceCheck):
    name = "wording"

    def __init__(self, new_words: int = 0) -> None:
        self.new_words = new_words

    def check(self, sentences: Sequence[str], evidence: Evidence) -> list[Verdict]:
        return [self._verdict(sentence, evidence) for sentence in sentences]

    def _verdict(self, sentence: str, evidence: Evidence) -> Verdict:
        language = detect_language(sentence)
        if language not in evidence.languages:
            return Verdict(True, 1.0)
        content = content_words(sentence, language)
        new = new_words(content, evidence.word_stems)
        score = 1 - len(new) / len(content) if content else 1.0
        if len(new) <= self.new_words:
            return Verdict(True, score)
        return Verdict(False, score, f"words no source uses: {', '.join(new)}")


def content_words(sentence: str, language: str | None) -> list[str]:
    """Its lower-case words of MIN_LETTERS or more that are not function words of `language`."""
    function_words = _function_words(language) if language else frozenset()
    return [word for word in WORD.findall(sentence)
            if len(word) >= MIN_LETTERS and word.islower() and word not in function_words]


def new_words(words: Sequence[str], stems: Set[str]) -> list[str]:
    """The words whose first letters start no word of a text with these `stems` (text.word_stems)."""
    return list(dict.fromkeys(word for word in words if not word_stems(word) <= stems))


@cache
def _function_words(language: str) -> frozenset[str]:
    return frozenset(stopwordsiso.stopwords(language)) if stopwordsiso.has_lang(language) else frozenset()
