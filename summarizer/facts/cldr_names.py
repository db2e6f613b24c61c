"""Countries, regions and languages by their names in every language: Spain / España / Испания /
إسبانيا are one place, German / deutsch / немецкий one language.

The names come from the Unicode CLDR data that Babel ships: the territory names (countries and
regions such as 150 = Europe, EU) and language names of every locale Babel has. A concept is
"territory:ES" or "language:de"; a language also stands for the territory where it is most
likely spoken (CLDR likely subtags: German -> Germany, Spanish -> Spain), since news writes
"the German government" for Germany's. Languages without locale data of their own are left out.

Names are matched as written (case-folded); for capitalised words (and words of uncased scripts)
of four consonants or more, by name key, which reads inflected forms (Испании, Španělsku) as the
nominative CLDR gives; and a word that is no name as written, as an inflected form of one that
differs only in its last letters (Китае / Китай, deutsche / deutsch, polského / Polsko).

The table is built on first use, from the locale files alone (no inheritance merging, nothing
left in Babel's cache): about 77,000 distinct names of 1,147 locales, in under a second of CPU,
holding about 18 MB.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from os.path import commonprefix

import regex

from summarizer.facts.name_keys import name_key

MIN_KEY_CONSONANTS = 4  # shorter skeletons collide across the world's names
MAX_NAME_WORDS = 4  # "Bosnia and Herzegovina", "Соединённые Штаты Америки"
# An inflected form keeps all but at most NAME_ENDING letters of the name, at least MIN_STEM - 1,
# and adds at most FORM_ENDING: Китай / Китае, deutsch / deutschen, Polsko / polského.
MIN_STEM = 5
NAME_ENDING = 2
FORM_ENDING = 3
_WORD = regex.compile(r"[\p{L}\p{M}]+(?:[\-‐'’][\p{L}\p{M}]+)*")


class _Names:
    """Name -> concepts, name key -> concepts, and the language <-> territory links."""

    def __init__(self) -> None:
        from babel import localedata
        from babel.core import get_global

        locales = localedata.locale_identifiers()
        languages = {locale.split("_")[0] for locale in locales}
        by_text: defaultdict[str, set[str]] = defaultdict(set)
        for locale in locales:
            # Read without localedata.load, which would keep all locales' data in its cache.
            with open(localedata.resolve_locale_filename(locale), "rb") as file:
                data = pickle.load(file)  # Babel's own package data
            for code, name in data.get("territories", {}).items():
                by_text[name.casefold()].add(f"territory:{code}")
            for code, name in data.get("languages", {}).items():
                if code in languages:
                    by_text[name.casefold()].add(f"language:{code}")
        by_key: defaultdict[str, set[str]] = defaultdict(set)
        for text, concepts in by_text.items():
            # Uncached: the table's names would crowd the names of the news out of name_key's cache.
            if " " not in text and len(key := name_key.__wrapped__(text)) >= MIN_KEY_CONSONANTS:
                by_key[key] |= concepts
        shared: dict[frozenset[str], frozenset[str]] = {}  # most names share one of few concept sets
        self.by_text = {text: shared.setdefault(frozenset(c), frozenset(c)) for text, c in by_text.items()}
        by_prefix: defaultdict[str, list[tuple[str, frozenset[str]]]] = defaultdict(list)
        for text, concepts in self.by_text.items():
            if " " not in text and len(text) >= MIN_STEM:
                by_prefix[text[: MIN_STEM - 1]].append((text, concepts))
        self.by_prefix = dict(by_prefix)
        self.by_key = {key: shared.setdefault(frozenset(c), frozenset(c)) for key, c in by_key.items()}
        likely = get_global("likely_subtags")
        related: defaultdict[str, set[str]] = defaultdict(set)
        for language in languages:
            territory = likely.get(language, "").split("_")[-1]
            if territory.isupper():
                related[f"language:{language}"].add(f"territory:{territory}")
                related[f"territory:{territory}"].add(f"language:{language}")
        self.related = dict(related)

    def concepts(self, words: Sequence[str]) -> set[str]:
        """What a run of words names: the whole run as written, or one capitalised word by its key,
        or one word that is no name as written as an inflected form of one."""
        text = " ".join(words).casefold()
        found = set(self.by_text.get(text, ()))
        if len(words) == 1:
            # By key only a word written as a name: the skeletons of common words collide with
            # the world's names (viernes, "Friday", and Francia are both "frns").
            if not words[0].islower() and len(key := name_key(words[0])) >= MIN_KEY_CONSONANTS:
                found |= self.by_key.get(key, frozenset())
            if not found and len(text) >= MIN_STEM:
                for name, concepts in self.by_prefix.get(text[: MIN_STEM - 1], ()):
                    if _inflected(text, name):
                        found |= concepts
        return found


def _inflected(word: str, name: str) -> bool:
    stem = len(commonprefix((word, name)))
    return stem >= MIN_STEM - 1 and len(word) - stem <= FORM_ENDING and len(name) - stem <= NAME_ENDING


@cache
def _names() -> _Names:
    return _Names()


def named_spans(words: Sequence[str]) -> list[tuple[int, int, frozenset[str]]]:
    """(start, end, concepts) of the runs of words that name a place or a language, longest first."""
    names = _names()
    spans = []
    for start in range(len(words)):
        for end in range(min(len(words), start + MAX_NAME_WORDS), start, -1):
            if concepts := names.concepts(words[start:end]):
                spans.append((start, end, frozenset(concepts)))
                break
    return spans


def concepts_in(texts: Iterable[str]) -> frozenset[str]:
    """Every place and language the texts name, in any language, with their linked concepts."""
    names = _names()
    found: set[str] = set()
    for text in texts:
        for _, _, concepts in named_spans(_WORD.findall(text)):
            found |= concepts
    return frozenset(found | {linked for concept in found for linked in names.related.get(concept, ())})
