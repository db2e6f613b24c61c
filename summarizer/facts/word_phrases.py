"""Finding the phrases of a word table in a text, in any letter case and spelling variant: number
words ("twenty-three", "vingt et un", "двадцати трёх") and weekday names ("segunda-feira").

Words are compared after normalisation: lower case, one apostrophe (п'ять, пʼять, п’ять), ё as е,
Arabic alef with hamza as bare alef (أربعة, اربعة). The words of a phrase may be joined by spaces or
hyphens, and an Arabic word may carry the conjunction و ("and") in front.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

import regex

Value = TypeVar("Value")

_WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’ʼ][\p{L}\p{M}]+)*")
_JOIN = regex.compile(r"[\s\-‐]+")
_SPELLING = str.maketrans({"’": "'", "ʼ": "'", "ё": "е", "أ": "ا", "إ": "ا", "آ": "ا", "ـ": None})
_ARABIC_AND = "و"


def normalise(phrase: str) -> str:
    """A phrase as the table keeps it: its words lower case, in one spelling, joined by one space."""
    return " ".join(word.lower().translate(_SPELLING) for word in _WORD.findall(phrase))


class PhraseTable(Generic[Value]):
    """Phrases of up to a few words, each with its value."""

    def __init__(self, phrases: Iterable[tuple[str, Value]]) -> None:
        self._values: dict[str, Value] = {}
        for phrase, value in phrases:
            self._values.setdefault(normalise(phrase), value)
        self._first_words = {phrase.split(" ")[0] for phrase in self._values}
        self._max_words = max((phrase.count(" ") + 1 for phrase in self._values), default=0)

    def find(self, text: str) -> list[tuple[int, int, Value]]:
        """(start, end, value) of the table's phrases in the text, longest first, not overlapping."""
        words = [(match.start(), match.end(), match.group().lower().translate(_SPELLING))
                 for match in _WORD.finditer(text)]
        found: list[tuple[int, int, Value]] = []
        index = 0
        while index < len(words):
            start, _, first = words[index]
            for first_form in self._forms(first):
                match = self._longest(text, words, index, first_form)
                if match is not None:
                    length, value = match
                    found.append((start, words[index + length - 1][1], value))
                    index += length
                    break
            else:
                index += 1
        return found

    def _forms(self, word: str) -> list[str]:
        forms = [word] if word in self._first_words else []
        if word.startswith(_ARABIC_AND) and len(word) > 3 and word[1:] in self._first_words:
            forms.append(word[1:])
        return forms

    def _longest(self, text: str, words: list[tuple[int, int, str]], index: int, first: str) -> tuple[int, Value] | None:
        phrase, longest = first, None
        if first in self._values:
            longest = (1, self._values[first])
        for length in range(2, self._max_words + 1):
            if index + length > len(words):
                break
            previous_end, (start, _, word) = words[index + length - 2][1], words[index + length - 1]
            if not _JOIN.fullmatch(text, previous_end, start):
                break
            phrase = f"{phrase} {word}"
            if phrase in self._values:
                longest = (length, self._values[phrase])
        return longest
