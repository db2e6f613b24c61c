"""Numbers as written in news, in any script: "1 200", "1,200" and "1200" are one value.

Numbers written in words are read by summarizer.facts.number_words. Limits: times of day are not recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import regex

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")

# Scale words by multiplier, as word stems: inflected forms ("millions", "миллиона") match too.
# The one-letter abbreviations only count when written right after the digits ("$3bn", "5m").
SCALE_STEMS = {
    1_000: ("thousand", "tausend", "mille", "тыс", "тысяч", "tisíc", "ألف", "آلاف"),
    1_000_000: ("million", "millón", "millon", "milion", "mio", "mln", "млн", "миллион", "мільйон", "مليون", "ملايين"),
    1_000_000_000: ("billion", "milliard", "miliard", "mrd", "mld", "млрд", "миллиард", "мільярд", "مليار"),
}
_ATTACHED_SCALES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000}
_CURRENCY = r"[$€£¥₽₴₹]|US\$|USD|EUR|GBP|Kč|CZK|RUB|dollars?|euros?|долл\.|доллар\p{L}*|евро|рубл\p{L}*|دولار"
_PERCENT = r"%|٪|‰|per ?cent|percent|pour ?cent|por ?ciento|prozent|procent\p{L}*|процент\p{L}*|відсот\p{L}*"
DIGIT = r"[0-9٠-٩۰-۹]"  # in any of the scripts _DIGITS reads
_D = DIGIT
_GROUPING_SPACE = regex.compile(r"[ \u00a0\u202f\u2009'’]")
_NUMERAL = (
    rf"(?:{_D}{{1,3}}(?:{_GROUPING_SPACE.pattern}(?={_D}{{3}}(?!{_D})){_D}{{3}})+"  # 1 200 000
    rf"|{_D}{{1,3}}(?:[.,٬]{_D}{{3}}(?!{_D}))+"  # 1,200 / 1.200.000
    rf"|{_D}+)"
    rf"(?:[.,٫]{_D}+)?"  # decimals
)
_SCALE_WORD = "|".join(rf"{regex.escape(stem)}\p{{L}}*" for stems in SCALE_STEMS.values() for stem in stems)
_NUMBER = regex.compile(
    rf"(?<![\p{{L}}\p{{N}}.,:/\-]|\p{{L}}-)"
    rf"(?:(?:{_CURRENCY})\s?)?"
    rf"(?P<numeral>{_NUMERAL})"
    rf"(?!\p{{N}}|[.,:/]{_D})"
    rf"(?:(?P<attached>{'|'.join(_ATTACHED_SCALES)})(?!\p{{L}})|\s?(?P<scale>{_SCALE_WORD})\.?(?!\p{{L}}))?"
    rf"(?:\s?(?:{_PERCENT}|{_CURRENCY})(?!\p{{L}}))?",
    regex.IGNORECASE,
)


def _scale_of(match: regex.Match[str]) -> int:
    """The multiplier written after a numeral, 1 if none."""
    if match.group("attached"):
        return _ATTACHED_SCALES[match.group("attached").lower()]
    if match.group("scale"):
        word = match.group("scale").lower()
        for multiplier, stems in SCALE_STEMS.items():
            if any(word.startswith(stem) for stem in stems):
                return multiplier
    return 1


def _numeral_readings(numeral: str) -> frozenset[Decimal]:
    """The values a numeral can have: "1,200" is 1200 in English and 1.2 in French."""
    numeral = _GROUPING_SPACE.sub("", numeral.translate(_DIGITS))
    marks = [ch for ch in numeral if ch in ".,"]
    if not marks:
        readings = {numeral}
    elif len(set(marks)) == 2:  # 1.234,5 or 1,234.5: the last mark is the decimal one
        decimal_mark = marks[-1]
        grouping_mark = "," if decimal_mark == "." else "."
        readings = {numeral.replace(grouping_mark, "").replace(decimal_mark, ".")}
    elif len(marks) > 1:  # 1.200.000
        readings = {numeral.replace(marks[0], "")}
    else:
        whole, fraction = numeral.split(marks[0])
        readings = {f"{whole}.{fraction}"}
        if len(fraction) == 3 and whole != "0":
            readings.add(whole + fraction)
    return frozenset(Decimal(reading) for reading in readings)


@dataclass(frozen=True)
class Number:
    text: str  # as written, with its currency, scale or unit
    start: int
    values: frozenset[Decimal]  # readings of the numeral alone ("1,200" -> {1200, 1.2})
    scale: int  # 10**9 for "bn", 1 when no scale word is attached

    def same_value(self, other: Number) -> bool:
        """Same number, reading each numeral every way it can be read.

        A scale word missing on one side does not disprove equality (the scale-word table is not
        exhaustive), a different one does; "10 million" also equals "10 000 000".
        """
        if self.scale == other.scale or 1 in (self.scale, other.scale):
            if self.values & other.values:
                return True
        return bool(
            {value * self.scale for value in self.values} & {value * other.scale for value in other.values}
        )


def _parse_number(match: regex.Match[str]) -> Number:
    return Number(match.group(0), match.start(), _numeral_readings(match.group("numeral")), _scale_of(match))


def numbers_equal(a: str, b: str) -> bool:
    """Whether two written numbers have the same value: "1 200" == "1,200" == "1200", "5,4" == "5.4"."""
    first, second = _NUMBER.search(a.strip()), _NUMBER.search(b.strip())
    if first is None or second is None:
        return False
    return _parse_number(first).same_value(_parse_number(second))


def find_numbers(text: str) -> list[Number]:
    """The numbers of a text, in order."""
    return [_parse_number(match) for match in _NUMBER.finditer(text)]


def to_int(digits: str) -> int:
    return int(digits.translate(_DIGITS))
