"""Dates as written in news, in the languages of the month-name table: "10 January", "10 января",
"January 10, 2021", "2021-01-10" and "10.01.2021" are one day; and weekdays, "Tuesday", "mardi",
"во вторник", "v úterý", "الثلاثاء" are one day of the week.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache

import regex
from babel.dates import get_day_names

from summarizer.facts.numerals import DIGIT as _D
from summarizer.facts.numerals import to_int
from summarizer.facts.word_phrases import PhraseTable

# Twelve names per line, January first.
_MONTH_NAMES = (
    "january february march april may june july august september october november december",  # en
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",  # fr
    "januar februar märz april mai juni juli august september oktober november dezember",  # de
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",  # es
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",  # it
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",  # pt
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",  # ru
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",  # uk
    "leden únor březen duben květen červen červenec srpen září říjen listopad prosinec",  # cs
    "ledna února března dubna května června července srpna září října listopadu prosince",
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",  # pl
    "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",  # ar (Egypt, Gulf)
    "كانون_الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين_الأول تشرين_الثاني كانون_الأول",  # ar (Levant)
)
_MONTH_VARIANTS = {"sept": 9, "jänner": 1, "ابريل": 4, "اغسطس": 8, "اكتوبر": 10}


def _month_table() -> dict[str, int]:
    table = dict(_MONTH_VARIANTS)
    for line in _MONTH_NAMES:
        for number, name in enumerate(line.split(), start=1):
            table.setdefault(name.replace("_", " "), number)
    return table


MONTHS = _month_table()
_MONTH = "|".join(regex.escape(name) for name in sorted(MONTHS, key=len, reverse=True))
_YEAR = rf"{_D}{{4}}"
_DAY = rf"{_D}{{1,2}}"
# Dates that start with a number: 2026-11-21, 21.11.2026, 21/11/2026, 21 November, 21. listopadu.
_DAY_FIRST_DATE = regex.compile(
    rf"(?<!{_D})(?P<y>{_YEAR})-(?P<m>{_D}{{2}})-(?P<d>{_D}{{2}})(?!{_D})"
    rf"|(?<![\p{{N}}.])(?P<d>{_DAY})(?P<sep>[./])(?P<m>{_D}{{1,2}})(?P=sep)(?P<y>{_YEAR})(?!{_D})"
    rf"|(?<!{_D})(?P<d>{_DAY})(?:\.|er|st|nd|rd|th|-?го|-?е)?\s*(?:de\s+)?(?P<name>{_MONTH})(?!\p{{L}})"
    rf"(?:,?\s+(?:de\s+)?(?P<y>{_YEAR})(?!{_D}))?",
    regex.IGNORECASE,
)
# Dates that start with the month: November 21, 2026. Any word before a day matches here and
# _parse_date keeps month names only: an alternation of all month names tried at every word is slow.
_MONTH_FIRST_DATE = regex.compile(
    rf"(?<!\p{{L}})(?P<name>\p{{L}}+)\.?\s+(?P<d>{_DAY})(?:st|nd|rd|th)?(?!{_D})(?:,?\s+(?P<y>{_YEAR})(?!{_D}))?"
)

# Weekdays: CLDR's names (Babel) in these languages, and the inflected forms news writes after a
# preposition ("в среду", "ve středu", "w środę"): Monday to Sunday, "/" between forms, "-" for none.
_WEEKDAY_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "cs", "pl", "ru", "uk", "ar")
_INFLECTED_WEEKDAYS = (
    "понедельника вторника среду/среды четверга пятницу/пятницы субботу/субботы воскресенья",  # ru
    "понеділка вівторка середу/середи четверга п'ятницю/п'ятниці суботу/суботи неділю/неділі",  # uk
    "- - středu/středy čtvrtka/čtvrtku pátku sobotu/soboty neděli",  # cs
    "poniedziałku wtorku środę/środy czwartku piątku sobotę/soboty niedzielę/niedzieli",  # pl
    "- - - - - sonnabend -",  # de
)


@cache
def _weekday_table() -> PhraseTable[int]:
    names = [(name, day) for language in _WEEKDAY_LANGUAGES for context in ("format", "stand-alone")
             for day, name in get_day_names("wide", context, language).items()]
    inflected = [(form, day) for line in _INFLECTED_WEEKDAYS for day, forms in enumerate(line.split())
                 for form in forms.split("/") if form != "-"]
    return PhraseTable([*names, *inflected])


@dataclass(frozen=True)
class Weekday:
    text: str
    start: int
    day: int  # Monday 0 to Sunday 6


def find_weekdays(text: str) -> list[Weekday]:
    return [Weekday(text[start:end], start, day) for start, end, day in _weekday_table().find(text)]


@dataclass(frozen=True)
class Date:
    text: str
    start: int
    days: frozenset[tuple[int, int]]  # possible (month, day) readings: 03/04/2021 is ambiguous
    year: int | None

    def weekdays(self) -> frozenset[int]:
        """The days of the week it can be, when its year is written."""
        if self.year is None:
            return frozenset()
        days = set()
        for month, day in self.days:
            try:
                days.add(datetime.date(self.year, month, day).weekday())
            except ValueError:  # 31 February
                continue
        return frozenset(days)


def _parse_date(match: regex.Match[str]) -> Date | None:
    day = to_int(match.group("d"))
    if match.group("name"):
        month = MONTHS.get(regex.sub(r"\s+", " ", match.group("name").lower()))
        if month is None:
            return None
        readings = {(month, day)}
    else:
        month = to_int(match.group("m"))
        readings = {(month, day)}
        if match.group("sep") == "/" and day <= 12:  # 03/04/2021: US or European order
            readings.add((day, month))
    readings = {(month, day) for month, day in readings if 1 <= month <= 12 and 1 <= day <= 31}
    if not readings:
        return None
    year = to_int(match.group("y")) if match.group("y") else None
    return Date(match.group(0), match.start(), frozenset(readings), year)


def find_dates(text: str) -> list[Date]:
    """The dates of a text: those that start with the day, then those that start with the month."""
    dates = [date for match in _DAY_FIRST_DATE.finditer(text) if (date := _parse_date(match)) is not None]
    taken = {position for date in dates for position in range(date.start, date.start + len(date.text))}
    dates += [
        date
        for match in _MONTH_FIRST_DATE.finditer(text)
        if match.start("d") not in taken and (date := _parse_date(match)) is not None
    ]
    return dates
