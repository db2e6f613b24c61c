"""Names, numbers and dates mentioned in a text, comparable across languages and scripts.

Grounding (is every name in a summary in its sources?) and clustering (do two articles tell the
same story?) both need to recognise "John Matze", "Джон Матц" and "جون ماتزي" as one person,
"1 200" and "1,200" as one number, "10 January" and "10 января" as one date. Names are found here;
their keys come from summarizer.facts.name_keys, numbers from summarizer.facts.numerals, dates from
summarizer.facts.dates.

Limits of the name heuristics:
- Names are found by capitalisation, so only in cased scripts (Latin, Cyrillic, Greek...). German
  capitalises every noun, so German text yields many common nouns as "names". A sentence-initial
  word that is not a known function word counts as a name unless the text also uses it in lower
  case elsewhere.
- Arabic has no case: there, names are Latin-script tokens and the one or two words after a name
  cue (a title such as الرئيس, a word such as شركة, a verb of saying such as قال). Other uncased
  scripts (Hebrew, Chinese, Devanagari...) only yield Latin-script tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import regex

from summarizer.facts.dates import MONTHS, Date, Weekday, find_dates, find_weekdays
from summarizer.facts.name_keys import ARABIC_LETTER, name_key
from summarizer.facts.number_words import find_number_words
from summarizer.facts.numerals import Number, find_numbers

__all__ = ["Date", "Mention", "Name", "Number", "Weekday", "content_words", "extract_mentions",
           "searchable_name_keys", "uncased_word_keys"]


@dataclass(frozen=True)
class Name:
    text: str  # as written
    start: int  # offset in the text
    keys: tuple[str, ...]  # name_key of each word, connectors ("de", "van") left out
    words: tuple[str, ...]  # the same words in lower case
    sentence_initial: bool  # its first word starts a sentence, so capitalisation proves little


Mention = Name | Number | Date | Weekday


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
    ministerpräsident ministerpräsidentin
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
    if lower in MONTHS:
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
            ARABIC_LETTER.match(word) is not None
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
        if ARABIC_LETTER.match(word):
            if word not in _ARABIC_STOPWORDS:
                stems = _arabic_stems(word)
                keys.extend(name_key(stem) for stem in stems)
                keys.extend(name_key(stem, arabic_waw_is_vowel=False) for stem in stems if "و" in stem[1:])
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
    words would match too many names. An Arabic و inside a word also counts as the consonant w
    (تويتر, Twitter).
    """
    keys = set(uncased_word_keys(text))
    for word in _WORD.findall(text):
        if not _CASED.match(word):
            if "و" in word[1:] and ARABIC_LETTER.match(word) and word not in _ARABIC_STOPWORDS:
                keys.update(name_key(stem, arabic_waw_is_vowel=False) for stem in _arabic_stems(word))
            continue
        key = name_key(word)
        if not word.islower() or len(key) >= 4:
            keys.add(key)
    return keys


def _blanked(text: str, mentions: list[Date] | list[Weekday] | list[Number]) -> str:
    parts, end = [], 0
    for mention in sorted(mentions, key=lambda mention: mention.start):
        parts += [text[end : mention.start], _BLANK * len(mention.text)]
        end = mention.start + len(mention.text)
    return "".join([*parts, text[end:]])


def extract_mentions(text: str, *, numbers_in_words: bool = False) -> list[Mention]:
    """The names, numbers, dates and weekdays mentioned in a text, in order of appearance; numbers in
    words on request: the fact check needs them, story grouping does worse with them (recall 0.94 ->
    0.92 on tests/data/stories.jsonl: "two", "three" are common to unrelated stories)."""
    # Each kind read is blanked out (offsets kept): a date's digits are no number, "Sieben" no name.
    blanked = text
    mentions: list[Mention] = []
    for find in (find_dates, find_weekdays, *([find_number_words] if numbers_in_words else [])):
        found = find(blanked)
        blanked = _blanked(blanked, found)
        mentions += found
    tokens = _tokens(blanked)
    names = _cased_names(blanked, tokens)
    if ARABIC_LETTER.search(blanked):
        names += _arabic_names(blanked, tokens)
    mentions += [*find_numbers(blanked), *names]
    return sorted(mentions, key=lambda mention: mention.start)
