"""Faithfulness check: names, numbers, dates and weekdays in a summary that its sources never mention.

A small model summarising in another language may invent a name or change a number. This check
compares what the summary mentions with what the sources mention, across scripts: names by
name key (so "John Matze" is found in "Джон Матц"), numbers by value (so "1,200" is found in
"1 200", "seven" in "sept"), dates by day and month in any language of the month-name table,
weekdays by the day in any language of the weekday table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import regex

from summarizer.facts.cldr_names import concepts_in, named_spans
from summarizer.facts.mentions import (
    Date,
    Mention,
    Name,
    Number,
    Weekday,
    content_words,
    extract_mentions,
    searchable_name_keys,
)
from summarizer.facts.name_keys import keys_match, soft_c_key
from summarizer.language import detect_language

_LATIN = regex.compile(r"\p{Latin}+")
# Languages that write every noun with a capital letter.
NOUN_CAPITALISING = frozenset({"de", "lb"})


@dataclass(frozen=True)
class SourceIndex:
    """What the sources mention, read once and then asked about every candidate and sentence."""

    name_keys: frozenset[str]
    words: frozenset[str]
    numbers: tuple[Number, ...]
    dates: tuple[Date, ...]
    date_parts: frozenset[int]  # days and years of the dates, numbers a summary may quote alone
    weekdays: frozenset[int]  # days of the week named, or of the dates with a year
    texts: tuple[str, ...]

    @cached_property
    def concepts(self) -> frozenset[str]:
        """The places and languages the sources name, in any language: read only for a name
        found no other way, as the first read loads the CLDR name table."""
        return concepts_in(self.texts)

    @cached_property
    def transliterated_keys(self) -> frozenset[str]:
        """Name keys of the sources' words in other scripts than Latin."""
        return frozenset(key for text in self.texts for key in searchable_name_keys(_LATIN.sub(" ", text)))


def index_sources(sources: Sequence[str]) -> SourceIndex:
    name_keys: set[str] = set()
    words: set[str] = set()
    mentions: list[Mention] = []
    for source in sources:
        name_keys |= searchable_name_keys(source)
        words |= content_words(source)
        mentions += extract_mentions(source, numbers_in_words=True)
    dates = tuple(mention for mention in mentions if isinstance(mention, Date))
    date_parts = {day for date in dates for _, day in date.days} | {date.year for date in dates if date.year}
    weekdays = {mention.day for mention in mentions if isinstance(mention, Weekday)}
    return SourceIndex(
        name_keys=frozenset(name_keys),
        words=frozenset(words),
        numbers=tuple(mention for mention in mentions if isinstance(mention, Number)),
        dates=dates,
        date_parts=frozenset(date_parts),
        weekdays=frozenset(weekdays.union(*(date.weekdays() for date in dates))),
        texts=tuple(sources),
    )


def _name_grounded(name: Name, sources: SourceIndex) -> bool:
    """Every word of the name is in a source, maybe inflected ("Trump" in "Трампа", "Trumpovi"),
    maybe written there in lower case ("Port of Hull" in "the port's terminal in Hull"), or is
    part of the name of a place or language that a source names in any language ("Spain" for
    "Испании", "German" for "deutsch")."""
    missing = {
        index
        for index, (word, key) in enumerate(zip(name.words, name.keys, strict=True))
        if word not in sources.words
        and key not in sources.name_keys
        and not any(keys_match(key, known) for known in sources.name_keys)  # exact first: cheap
        and not _transliterated(word, sources)
    }
    if not missing:
        return True
    named = {
        index
        for start, end, concepts in named_spans([word.capitalize() for word in name.words])  # as written
        if not concepts.isdisjoint(sources.concepts)
        for index in range(start, end)
    }
    return missing <= named


def _transliterated(word: str, sources: SourceIndex) -> bool:
    """A Latin name with a soft c, found as another script writes it."""
    key = soft_c_key(word)
    return key is not None and any(keys_match(key, known) for known in sources.transliterated_keys)


def _number_grounded(number: Number, sources: SourceIndex) -> bool:
    if any(number.same_value(known) for known in sources.numbers):
        return True
    return number.scale == 1 and not number.values.isdisjoint(sources.date_parts)


def _date_grounded(date: Date, sources: SourceIndex) -> bool:
    if not any(date.days & known.days for known in sources.dates):
        return False
    if date.year is None or date.year in sources.date_parts:
        return True
    return any(date.year in number.values for number in sources.numbers if number.scale == 1)


def _grounded(mention: Mention, sources: SourceIndex) -> bool:
    match mention:
        case Name():
            return _name_grounded(mention, sources)
        case Number():
            return _number_grounded(mention, sources)
        case Date():
            return _date_grounded(mention, sources)
        case Weekday():
            return mention.day in sources.weekdays


def _doubtful(name: Name, confirmed: set[str], nouns_capitalised: bool) -> bool:
    """A capitalised word that may be an ordinary word.

    "Unemployment rose..." or "Supporters of..." would be reported against sources in another
    language, so a lone capitalised word at the start of a sentence counts as a name only if the
    summary also capitalises it inside a sentence (`confirmed` keys) or it is an acronym. In a
    language that capitalises every noun (German), a lone capitalised word anywhere, and words
    joined by a lower-case connector ("Folgen von Feuer"), are as doubtful. The price: a name
    that is invented and written that way goes unreported here (the support check may catch it).
    """
    if name.text.isupper():
        return False
    if nouns_capitalised and (len(name.keys) == 1 or len(name.text.split()) != len(name.words)):
        return True
    if not name.sentence_initial or len(name.keys) != 1:
        return False
    return name.keys[0] not in confirmed


def ungrounded_mentions(summary: str, sources: Sequence[str] | SourceIndex) -> list[Mention]:
    """The names, numbers and dates of the summary that no source mentions, in order."""
    known = sources if isinstance(sources, SourceIndex) else index_sources(sources)
    mentions = extract_mentions(summary, numbers_in_words=True)
    names = [mention for mention in mentions if isinstance(mention, Name)]
    confirmed = {key for name in names if not name.sentence_initial for key in name.keys}
    nouns_capitalised = bool(names) and detect_language(summary) in NOUN_CAPITALISING
    return [
        mention
        for mention in mentions
        if not (isinstance(mention, Name) and _doubtful(mention, confirmed, nouns_capitalised))
        and not _grounded(mention, known)
    ]


def find_ungrounded(summary: str, sources: Sequence[str] | SourceIndex) -> list[str]:
    """Names, numbers and dates of the summary that no source mentions, as written, in order."""
    return list(dict.fromkeys(mention.text for mention in ungrounded_mentions(summary, sources)))


def missing_mentions(source: str, rendering: str) -> list[str]:
    """Names, numbers and dates of `source` that `rendering` (a translation of it) does not state,
    as written, in order. A name's first word opening the sentence may be an ordinary capitalised
    word ("Компания Amazon"): the rest of the name is enough."""
    known = index_sources([rendering])
    missing = []
    for mention in ungrounded_mentions(source, known):
        if isinstance(mention, Name) and mention.sentence_initial and len(mention.keys) > 1:
            rest = replace(mention, keys=mention.keys[1:], words=mention.words[1:], sentence_initial=False)
            if _name_grounded(rest, known):
                continue
        missing.append(mention.text)
    return list(dict.fromkeys(missing))
