"""Names, numbers and dates mentioned in a text, comparable across languages and scripts.

Grounding (is every name in a summary in its sources?) and clustering (do two articles tell the
same story?) both need to recognise "John Matze", "Джон Матц" and "جون ماتزي" as one person,
"1 200" and "1,200" as one number, "10 January" and "10 января" as one date.

Limits of the heuristics:
- Names are found by capitalisation, so only in cased scripts (Latin, Cyrillic, Greek...). German
  capitalises every noun, so German text yields many common nouns as "names". A sentence-initial
  word that is not a known function word counts as a name unless the text also uses it in lower
  case elsewhere.
- Arabic has no case: there, names are Latin-script tokens and the one or two words after a name
  cue (a title such as الرئيس, a word such as شركة, a verb of saying such as قال). Other uncased
  scripts (Hebrew, Chinese, Devanagari...) only yield Latin-script tokens.
- Name keys are consonant skeletons: short names collide (Musk / Moscow in Arabic spelling), and
  transliterations that change consonants (Paris / Париж, USA / США) do not match.
- Numbers written as words ("ten", "десять") and times of day are not recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

import regex
from anyascii import anyascii

# --- name keys --------------------------------------------------------------------------------

# Letters transliterated with an "h" that must not form a digraph with the letter before them
# (ز+ه would read "zh"): they become "H", a plain h. The Arabic feminine ending ة is a vowel.
_H_LETTERS = str.maketrans({"х": "H", "ه": "H", "ح": "H", "خ": "H", "ة": None})
# Letter groups that transliterations of one name write differently, longest first. Upper-case
# letters stand for sounds with no single Latin letter.
_DIGRAPHS = (
    ("shch", "S"),
    ("dzh", "g"),
    ("sch", "S"),
    ("tsh", "S"),
    ("sh", "S"),
    ("ch", "S"),
    ("zh", "g"),
    ("dj", "g"),
    ("kh", "H"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("ck", "k"),
    ("qu", "k"),
    ("ng", "n"),  # Washington / واشنطن
)
# German/Russian z and ц are written "ts" in Arabic and Cyrillic transliteration, so z becomes ts.
# Arabic ج stands for both j (جون, John) and g (جوجل, Google), so j, g and their spellings merge.
_LETTERS = str.maketrans({"p": "b", "v": "f", "w": "f", "c": "k", "q": "k", "j": "g", "x": "ks", "z": "ts"})
_VOWELS = frozenset("aeiouy'")
# Arabic writes long vowels with و (w) and ي (y): inside an Arabic word they are vowels.
_ARABIC_VOWELS = _VOWELS | {"w"}
_ARABIC_LETTER = regex.compile(r"\p{Arabic}")


@lru_cache(maxsize=65536)
def name_key(word: str) -> str:
    """A script-independent key of a name: its consonant skeleton after transliteration.

    Vowels are dropped after the first letter (Arabic seldom writes them) and consonants that
    scripts confuse are merged, so "Trump", "Трамп" and "ترامب" all give "trmb". A word that starts
    with a vowel starts its key with "a".
    """
    arabic = bool(_ARABIC_LETTER.match(word))
    latin = anyascii(word.lower().translate(_H_LETTERS))
    latin = "".join(ch for ch in latin if "a" <= ch <= "z" or ch in "'H")
    for group, sound in _DIGRAPHS:
        latin = latin.replace(group, sound)
    vowels = _ARABIC_VOWELS if arabic else _VOWELS
    key: list[str] = []
    for position, letter in enumerate(latin):
        if position == 0:
            if letter in _VOWELS:
                key.append("a")
                continue
        elif letter in vowels or letter in "hH":
            continue  # h is silent or lengthens a vowel: John / Джон, Netanyahu / نتنياهو
        for sound in letter.replace("H", "h").translate(_LETTERS):
            if not key or key[-1] != sound:  # Rotterdam / Роттердам
                key.append(sound)
    return "".join(key)


def keys_match(a: str, b: str) -> bool:
    """Whether two name keys name the same thing, allowing for inflected endings.

    Russian and Czech inflect names (Трампу, Trumpovi, Parlerem), which adds up to two consonants;
    a key of three consonants or fewer must match exactly, as short skeletons collide easily.
    """
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) <= 3:
        return shorter == longer
    return longer.startswith(shorter) and len(longer) - len(shorter) <= 2


# --- numbers ----------------------------------------------------------------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")

# Scale words by multiplier, as word stems: inflected forms ("millions", "миллиона") match too.
# The one-letter abbreviations only count when written right after the digits ("$3bn", "5m").
_SCALE_STEMS = {
    1_000: ("thousand", "tausend", "mille", "тыс", "тысяч", "tisíc", "ألف", "آلاف"),
    1_000_000: ("million", "millón", "millon", "milion", "mio", "mln", "млн", "миллион", "мільйон", "مليون", "ملايين"),
    1_000_000_000: ("billion", "milliard", "miliard", "mrd", "mld", "млрд", "миллиард", "мільярд", "مليار"),
}
_ATTACHED_SCALES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "b": 1_000_000_000, "bn": 1_000_000_000}
_CURRENCY = r"[$€£¥₽₴₹]|US\$|USD|EUR|GBP|Kč|CZK|RUB|dollars?|euros?|долл\.|доллар\p{L}*|евро|рубл\p{L}*|دولار"
_PERCENT = r"%|٪|‰|per ?cent|percent|pour ?cent|por ?ciento|prozent|procent\p{L}*|процент\p{L}*|відсот\p{L}*"
_D = r"[0-9٠-٩۰-۹]"
_GROUPING_SPACE = regex.compile(r"[ \u00a0\u202f\u2009'’]")
_NUMERAL = (
    rf"(?:{_D}{{1,3}}(?:{_GROUPING_SPACE.pattern}(?={_D}{{3}}(?!{_D})){_D}{{3}})+"  # 1 200 000
    rf"|{_D}{{1,3}}(?:[.,٬]{_D}{{3}}(?!{_D}))+"  # 1,200 / 1.200.000
    rf"|{_D}+)"
    rf"(?:[.,٫]{_D}+)?"  # decimals
)
_SCALE_WORD = "|".join(rf"{regex.escape(stem)}\p{{L}}*" for stems in _SCALE_STEMS.values() for stem in stems)
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
        for multiplier, stems in _SCALE_STEMS.items():
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


# --- dates ------------------------------------------------------------------------------------

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

_WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag".split()
)


# --- mentions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    text: str  # as written
    start: int  # offset in the text
    keys: tuple[str, ...]  # name_key of each word, connectors ("de", "van") left out
    words: tuple[str, ...]  # the same words in lower case
    sentence_initial: bool  # its first word starts a sentence, so capitalisation proves little


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


@dataclass(frozen=True)
class Date:
    text: str
    start: int
    days: frozenset[tuple[int, int]]  # possible (month, day) readings: 03/04/2021 is ambiguous
    year: int | None


Mention = Name | Number | Date


def _parse_number(match: regex.Match[str]) -> Number:
    return Number(match.group(0), match.start(), _numeral_readings(match.group("numeral")), _scale_of(match))


def numbers_equal(a: str, b: str) -> bool:
    """Whether two written numbers have the same value: "1 200" == "1,200" == "1200", "5,4" == "5.4"."""
    first, second = _NUMBER.search(a.strip()), _NUMBER.search(b.strip())
    if first is None or second is None:
        return False
    return _parse_number(first).same_value(_parse_number(second))


def _to_int(digits: str) -> int:
    return int(digits.translate(_DIGITS))


def _parse_date(match: regex.Match[str]) -> Date | None:
    day = _to_int(match.group("d"))
    if match.group("name"):
        month = MONTHS.get(regex.sub(r"\s+", " ", match.group("name").lower()))
        if month is None:
            return None
        readings = {(month, day)}
    else:
        month = _to_int(match.group("m"))
        readings = {(month, day)}
        if match.group("sep") == "/" and day <= 12:  # 03/04/2021: US or European order
            readings.add((day, month))
    readings = {(month, day) for month, day in readings if 1 <= month <= 12 and 1 <= day <= 31}
    if not readings:
        return None
    year = _to_int(match.group("y")) if match.group("y") else None
    return Date(match.group(0), match.start(), frozenset(readings), year)


# --- names ------------------------------------------------------------------------------------

# Function words that start sentences with a capital without being names, by language.
_STOPWORDS_BY_LANGUAGE = {
    "en": """
        a an the this that these those there here it its he she they we i you his her their our my your
        what which who whom whose when where why how if then than but and or nor so yet also as at by
        for from in into of on onto to with without after before since while during under over about
        against between among through although though because however meanwhile moreover furthermore
        still thus therefore according despite instead all any both each every few many more most much
        no not none some such other another only just even already again once now today yesterday
        tomorrow tonight later earlier yes is are was were be been being has have had do does did will
        would shall should can could might must one two three four five six seven eight nine ten last
        next first new several
    """,
    "fr": """
        le la les l un une des du de d au aux ce cet cette ces il elle ils elles on nous vous je tu se
        sa son ses leur leurs mon ma mes ton ta qui que quoi dont où quand comment pourquoi si mais et
        ou donc or ni car pour par sur sous dans en avec sans chez entre après avant depuis pendant
        selon malgré comme aussi ainsi alors cependant toutefois pourtant enfin puis ensuite déjà encore
        ne pas plus tous tout toute toutes chaque plusieurs certains aucun lors hier aujourd demain cela
        ceci ça c y voici voilà est sont était ont
    """,
    "de": """
        der die das den dem des ein eine einen einem einer eines er sie es wir ihr ich du man sich sein
        seine ihre unser dies diese dieser dieses wer was wo wann wie warum ob wenn dann als und oder
        aber doch sondern denn auch noch schon nur nicht kein keine mit ohne für von zu zum zur bei nach
        vor seit während über unter auf aus an am im um durch gegen zwischen laut trotz wegen heute
        gestern morgen jetzt hier dort da damit dabei dazu darauf jedoch außerdem inzwischen zudem
        allerdings bereits ist sind war waren hat haben wird werden wurde wurden
    """,
    "es": """
        el los las lo unos unas del al con sin por para sobre tras desde hasta durante según este esta
        estos estas ese esa eso él ella ellos ellas usted yo tú su sus mi mis quien cuando donde como
        porque pero también además embargo aunque mientras ya hoy ayer mañana todo todos cada otro otra
        son fue fueron ha han hay
    """,
    "it": """
        il lo gli di da su per tra fra che chi non ma anche poi dopo prima secondo questo questa quello
        quella oggi ieri domani è sono
    """,
    "pt": """
        os as um uma uns umas do dos das no na nos nas em com sem pelo pela quem onde também já hoje
        ontem isso ele eles foi são
    """,
    "cs": """
        v ve z ze s k ke na od po pro při pod nad před za mezi bez že aby když protože ale nebo ani jak
        kde kdy co kdo který která které jeho její jejich to ten ta tato tento toto tyto tam tady také
        však již už ještě jen pouze podle během dnes včera zítra ona ono oni my vy já ty je jsou byl
        byla bylo byli bude budou má mají
    """,
    "pl": """
        w we przy przed między gdy ponieważ lub albo gdzie kiedy kto który jego jej ich tu także też
        jednak jeszcze tylko według podczas dziś dzisiaj wczoraj jutro jest są był była było byli będzie
    """,
    "ru": """
        и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её
        мне было вот от меня еще ещё нет о из ему теперь когда даже ну ли если уже или ни быть был него
        до вас опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их
        чем была сам без чего раз тоже себе под будет тогда кто этот того потому этого какой здесь этом
        один почти мой тем чтобы сейчас были куда зачем всех никогда можно при наконец два об другой
        хоть после над больше тот через эти нас про всего них какая много три эту моя впрочем перед
        иногда такой им более всегда конечно всю между это также однако кроме согласно напомним добавим
        сегодня вчера завтра поэтому
    """,
    "uk": """
        і й та із зі від про під між що щоб як де коли який яка яке які її їх це цей ця ці той однак вже
        ще лише тільки сьогодні вчора він вона воно вони ми ви ти є була було були буде
    """,
}
_STOPWORDS = frozenset(word for words in _STOPWORDS_BY_LANGUAGE.values() for word in words.split())

# Titles and roles written with a capital before a name ("President Trump", "CEO John Matze"):
# they are not part of the name and are rarely written the same way in another language.
_TITLES = frozenset(
    """
    president presidents vice chancellor minister prime secretary ceo cfo cto coo pdg chairman
    chairwoman chief executive founder king queen prince princess pope senator governor mayor
    judge mr mrs ms dr sir ambassador spokesman spokeswoman
    präsident präsidentin bundeskanzler bundeskanzlerin kanzler kanzlerin ministerin herr frau chef
    président premier ministre directeur m mme presidente ministro primer
    президент премьер премьер-министр министр канцлер глава генеральный директор
    prezident premiér ministr kancléř předseda ředitel generální
    """.split()
)

# Lower-case words that may join the parts of a name: "Charles de Gaulle", "Ursula von der Leyen".
_CONNECTORS = frozenset("de da di del della der den van von du le la al el bin ibn y".split())

# A word after which an Arabic text usually names someone or something: titles, kinds of
# organisations and verbs of saying ("وقال ماتزي"), without article or clitic (see _arabic_stems).
_ARABIC_NAME_CUES = frozenset(
    """
    رئيس رئيسة وزير وزيرة مستشار مستشارة ملك أمير شيخ سيد سيدة نائب جنرال زعيم بابا متحدث شركة
    موقع منصة صحيفة وكالة مدينة ولاية جامعة حزب بنك مجموعة تطبيق قال قالت أعلن أعلنت أضاف أضافت
    كتب كتبت صرح صرحت أكد أكدت
    """.split()
)
_ARABIC_STOPWORDS = frozenset(
    """
    في من على إلى الى عن مع أن إن ان أنه إنه أنها إنها هذا هذه ذلك تلك التي الذي الذين كان كانت
    يكون قد لقد لم لن لا ما ماذا هل كل بعض بين بعد قبل عند عندما حيث حتى أو او ثم لكن بل غير منذ
    خلال حول ضد دون لدى كما أيضا أيضًا وفقا وفقًا نحو هو هي هم نحن أنا به بها له لها فيه فيها عليه
    """.split()
)

_WORD = regex.compile(r"[\p{L}\p{M}]+(?:[\-‐][\p{L}\p{M}]+)*")
_BLANK = "\x00"  # stands for characters already read; neither a letter, a digit nor a space
_NAME_END = regex.compile(r"\s*(?:[\p{P}]|$)")
_SENTENCE_END = regex.compile(r"[.!?…:;\n]")
_NAME_JOIN = regex.compile(r"[ \u00a0]")
_LATIN = regex.compile(r"\p{Latin}")
_LATIN_RUN = regex.compile(r"\p{Latin}+")
_LETTER_RUN = regex.compile(r"\p{L}+")
_CASED = regex.compile(r"[\p{Lu}\p{Ll}]")
_UNCASED_LETTER = regex.compile(r"\p{Lo}")


class _Token(NamedTuple):
    text: str
    start: int
    end: int
    previous_end: int  # end of the word before, -1 for the first word


def _tokens(text: str) -> list[_Token]:
    """The words of a text, except those glued to digits (codes such as G7 or 4K)."""
    tokens: list[_Token] = []
    previous_end = -1
    for match in _WORD.finditer(text):
        start, end = match.span()
        if text[start - 1 : start].isdigit() or text[end : end + 1].isdigit():
            continue
        tokens.append(_Token(match.group(), start, end, previous_end))
        previous_end = end
    return tokens


def _starts_sentence(text: str, token: _Token) -> bool:
    if token.previous_end < 0:
        return True
    gap = text[token.previous_end : token.start]
    if not _SENTENCE_END.search(gap):
        return False
    # "John F. Kennedy": the full stop closes an initial, a word of one letter.
    one_letter_before = not text[token.previous_end - 2 : token.previous_end - 1].isalpha()
    return not (one_letter_before and gap[0] == "." and gap[1:].isspace())


def _is_acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _joined(text: str, left: _Token, right: _Token) -> bool:
    """Whether two neighbouring tokens may belong to one name."""
    if _is_acronym(left.text) != _is_acronym(right.text):
        return False  # "США Дональд Трамп", "NATO Secretary General": an acronym stands alone
    gap = text[left.end : right.start]
    if _NAME_JOIN.fullmatch(gap):
        return True
    single_capital = len(left.text) == 1 and left.text.isupper()
    return single_capital and gap in (". ", "'", "’")  # John F. Kennedy, O'Brien


def _is_name_word(token: str, non_latin_text: bool) -> bool:
    if token.islower() and not non_latin_text:
        return False  # most words: decided at once
    lower = token.lower()
    if lower in MONTHS or lower in _WEEKDAYS:
        return False
    if non_latin_text and _LATIN.match(token):  # Parler, AWS inside Russian or Arabic text
        return True
    return _CASED.match(token) is not None and not token.islower()  # Paris, AWS, iPhone


def _name(text: str, run: list[_Token], sentence_initial: bool) -> Name:
    words = tuple(word for token in run if (word := token.text.lower()) not in _CONNECTORS)
    first, last = run[0], run[-1]
    return Name(text[first.start : last.end], first.start, tuple(map(name_key, words)), words, sentence_initial)


def _cased_names(text: str, tokens: list[_Token]) -> list[Name]:
    """Runs of capitalised words, without leading function words and titles."""
    latin_letters = sum(map(len, _LATIN_RUN.findall(text)))
    non_latin_text = latin_letters < sum(map(len, _LETTER_RUN.findall(text))) / 2
    lower_case_words = {token.text for token in tokens if token.text.islower()}

    runs: list[list[_Token]] = []
    index = 0
    while index < len(tokens):
        if not _is_name_word(tokens[index].text, non_latin_text):
            index += 1
            continue
        run = [tokens[index]]
        index += 1
        while index < len(tokens) and _joined(text, run[-1], tokens[index]):
            token = tokens[index]
            if _is_name_word(token.text, non_latin_text):
                run.append(token)
            elif (
                token.text in _CONNECTORS
                and index + 1 < len(tokens)
                and _joined(text, token, tokens[index + 1])
                and _is_name_word(tokens[index + 1].text, non_latin_text)
            ):
                run.extend(tokens[index : index + 2])
                index += 1
            else:
                break
            index += 1
        runs.append(run)

    names: list[Name] = []
    for run in runs:
        # A function word is dropped only where its capital comes from starting the sentence:
        # inside a sentence a capitalised "Oder" or "Des" is the river or the city.
        while run and (
            run[0].text.lower() in _TITLES
            or (run[0].text.lower() in _STOPWORDS and _starts_sentence(text, run[0]))
        ):
            run = run[1:]
        if not run:
            continue
        first = run[0]
        sentence_initial = _starts_sentence(text, first)
        if len(run) == 1 and sentence_initial and first.text.lower() in lower_case_words:
            continue  # an ordinary word that starts a sentence
        names.append(_name(text, run, sentence_initial))
    return names


_ARABIC_ARTICLES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال")


def _arabic_stems(word: str) -> list[str]:
    """The forms an Arabic word may be a name in.

    The article ال and the clitics fused with it are removed ("الرئيس" -> "رئيس"). A word starting
    with a one-letter clitic (و "and", ب "by", ل "for", ف "so") is also taken without it
    ("وترامب" -> "ترامب"), since the same letter also starts names ("بارلر").
    """
    for article in _ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return [word[len(article) :]]
    if word[0] in "وفبل" and len(word) >= 4:
        return [word, word[1:]]
    return [word]


def _arabic_names(text: str, tokens: list[_Token]) -> list[Name]:
    """Arabic words right after a name cue: "قال ماتزي", "الرئيس ترامب", "شركة آبل"."""

    def is_cue(token: _Token) -> bool:
        return any(stem in _ARABIC_NAME_CUES for stem in _arabic_stems(token.text))

    def could_be_name(token: _Token) -> bool:
        word = token.text
        return (
            _ARABIC_LETTER.match(word) is not None
            and not word.startswith(_ARABIC_ARTICLES)
            and word not in _ARABIC_STOPWORDS
            and not is_cue(token)
        )

    names: list[Name] = []
    for index in range(1, len(tokens)):
        cue, first = tokens[index - 1], tokens[index]
        if not is_cue(cue) or not _joined(text, cue, first) or not could_be_name(first):
            continue
        run = [first]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and _joined(text, first, following) and could_be_name(following):
            # A second word is taken only where punctuation ends the pair, as in "كتب جون ماتزي،":
            # otherwise it is as likely the next word of the sentence.
            if _NAME_END.match(text, following.end):
                run.append(following)
        names.append(_name(text, run, False))
    return names


def uncased_word_keys(text: str) -> list[str]:
    """Name keys of the words of uncased scripts (Arabic...), once per occurrence.

    Without capitals any word may be a name, so every one counts but function words; an Arabic
    word counts with and without the clitics that attach to names ("وترامب" is "and Trump").
    """
    keys: list[str] = []
    if not _UNCASED_LETTER.search(text):
        return keys
    for word in _WORD.findall(text):
        if _ARABIC_LETTER.match(word):
            if word not in _ARABIC_STOPWORDS:
                keys.extend(name_key(stem) for stem in _arabic_stems(word))
        elif not _CASED.match(word):
            keys.append(name_key(word))
    return keys


def content_words(text: str) -> set[str]:
    """The words of a text in lower case, so that "Port" in a summary is the "port" of its source.

    Function words are left out: a capitalised "Oder" is the river, not the German "oder".
    """
    return {lower for word in _WORD.findall(text) if (lower := word.lower()) not in _STOPWORDS}


def searchable_name_keys(text: str) -> set[str]:
    """Name keys to look a name up in a text.

    Capitalised words and the words of uncased scripts count, and lower-case words with keys of
    four consonants or more: "американский" holds "American", while the short skeletons of common
    words would match too many names.
    """
    keys = set(uncased_word_keys(text))
    for word in _WORD.findall(text):
        if not _CASED.match(word):
            continue
        key = name_key(word)
        if not word.islower() or len(key) >= 4:
            keys.add(key)
    return keys


def extract_mentions(text: str) -> list[Mention]:
    """The names, numbers and dates mentioned in a text, in order of appearance."""
    dates = [date for match in _DAY_FIRST_DATE.finditer(text) if (date := _parse_date(match)) is not None]
    taken = {position for date in dates for position in range(date.start, date.start + len(date.text))}
    dates += [
        date
        for match in _MONTH_FIRST_DATE.finditer(text)
        if match.start("d") not in taken and (date := _parse_date(match)) is not None
    ]
    # Dates are blanked out (offsets kept) so that their digits and month names are not read again.
    blanked = text
    for date in dates:
        end = date.start + len(date.text)
        blanked = blanked[: date.start] + _BLANK * (end - date.start) + blanked[end:]
    numbers = [_parse_number(match) for match in _NUMBER.finditer(blanked)]
    tokens = _tokens(blanked)
    names = _cased_names(blanked, tokens)
    if _ARABIC_LETTER.search(blanked):
        names += _arabic_names(blanked, tokens)
    mentions: list[Mention] = [*dates, *numbers, *names]
    return sorted(mentions, key=lambda mention: mention.start)
