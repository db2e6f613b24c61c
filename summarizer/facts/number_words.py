"""Numbers written in words, in the languages the fact check reads: "seven", "sept", "sieben", "sedm",
"семь", "سبعة" are 7; "twenty-three", "vingt-trois", "двадцати трёх" are 23.

The words come from num2words (every case and gender it knows for Russian and Ukrainian), with the
inflected forms it lacks for Czech, Polish, Portuguese and Arabic added here. Covered: 2 to 99 and
the round hundreds, which is what news writes in words; larger numbers come in digits. A scale word
after the number counts ("twelve thousand").

Limits: "one" is left out, being also an article or a pronoun in every language ("un", "ein",
"one of them"); so are the words that are a common word in another of these languages (English
"once", "due"; Czech "ten"...). A name spelled like a number (Otto) reads as the number.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import regex
from num2words import num2words

from summarizer.facts.numerals import SCALE_STEMS, Number
from summarizer.facts.word_phrases import PhraseTable, normalise

LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "cs", "pl", "ru", "uk", "ar")
VALUES = (*range(2, 100), *range(100, 1000, 100))
# Cases and genders num2words declines numbers in.
_DECLINED = {
    "ru": (("nominative", "genitive", "dative", "accusative", "instrumental", "prepositional"), ("m", "f", "n")),
    "uk": (("nominative", "genitive", "dative", "accusative", "instrumental", "locative"), ("masculine", "feminine")),
}
# Forms num2words does not give: feminine and oblique cases.
_OTHER_FORMS = {
    "pt": {2: "duas", 200: "duzentas", 300: "trezentas", 400: "quatrocentas", 500: "quinhentas"},
    "es": {200: "doscientas", 300: "trescientas", 400: "cuatrocientas", 500: "quinientas"},
    "cs": {2: "dvě dvou dvěma", 3: "tří třem třemi", 4: "čtyř čtyřem čtyřmi", 9: "devíti"},
    "pl": {2: "dwie dwóch dwu dwoma dwiema dwaj", 3: "trzech trzem trzema trzej", 4: "czterech czterem czterema czterej",
           5: "pięciu pięcioma", 6: "sześciu sześcioma", 7: "siedmiu siedmioma", 8: "ośmiu ośmioma",
           9: "dziewięciu dziewięcioma", 10: "dziesięciu dziesięcioma"},
    "ar": {2: "اثنين اثنتان اثنتين", 100: "مئة", 200: "مئتان مئتين مائتان مائتين"},
}
# Number words that are as often a common word of one of these languages: Spanish 11 / English
# "once", Italian 2 / English "due", Italian 6 / German "sei", French 100 / English "cent", French 16 /
# English "seize", Czech and Polish 100 / Italian "sto", English 10 / Czech "ten".
_AMBIGUOUS = frozenset({"once", "due", "sei", "cent", "seize", "sto", "ten"})
_SCALE_WORD = regex.compile(r"\s+(\p{L}+)")
_CZECH_VOWELS = frozenset("aeiouyáéíóúůýě")


def _forms(language: str, value: int) -> set[str]:
    if language in _DECLINED:
        cases, genders = _DECLINED[language]
        forms = {num2words(value, lang=language, case=case, gender=gender) for case in cases for gender in genders}
    else:
        forms = {num2words(value, lang=language)}
    forms |= set(_OTHER_FORMS.get(language, {}).get(value, "").split())
    if language == "cs" and value >= 5:  # the oblique cases add -i: pět / pěti, dvacet sedm / dvaceti sedmi
        forms |= {" ".join(word if word[-1] in _CZECH_VOWELS else word + "i" for word in form.split()) for form in forms}
    if language == "ar":
        forms = {form.replace("و ", "و") for form in forms}  # num2words writes سبعة و ثلاثون
        # Feminine forms drop the ة (سبعة / سبع); the oblique case of tens ends in ين (ثلاثون / ثلاثين).
        if 3 <= value <= 10:
            forms |= {form.removesuffix("ة") for form in forms}
        forms |= {" ".join(word[:-2] + "ين" if word.endswith("ون") else word for word in form.split()) for form in forms}
    return forms


@cache
def _table() -> PhraseTable[int]:
    values: dict[str, set[int]] = {}
    for language in LANGUAGES:
        for value in VALUES:
            for form in _forms(language, value):
                values.setdefault(normalise(form), set()).add(value)
    # A phrase with two values in two languages says neither.
    return PhraseTable((form, next(iter(found))) for form, found in values.items()
                       if len(found) == 1 and form not in _AMBIGUOUS)


def _scale_after(text: str, end: int) -> tuple[int, int]:
    """The multiplier of a scale word right after a number ("twelve thousand") and where it ends."""
    match = _SCALE_WORD.match(text, end)
    if match:
        word = match.group(1).lower()
        for multiplier, stems in SCALE_STEMS.items():
            if any(word.startswith(stem) for stem in stems):
                return multiplier, match.end()
    return 1, end


def find_number_words(text: str) -> list[Number]:
    """The numbers a text writes in words, in order."""
    numbers = []
    for start, end, value in _table().find(text):
        scale, end = _scale_after(text, end)
        numbers.append(Number(text[start:end], start, frozenset({Decimal(value)}), scale))
    return numbers
