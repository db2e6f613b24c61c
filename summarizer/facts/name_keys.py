"""Name keys: one key for a name however a script or a language spells it.

"Trump", "Трамп" and "ترامب" all give "trmb": a consonant skeleton after transliteration.
Limits: short names collide (Musk / Moscow in Arabic spelling), and transliterations that change
consonants (Paris / Париж, USA / США) do not match.
"""

from __future__ import annotations

from functools import lru_cache

import regex
from anyascii import anyascii

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
ARABIC_LETTER = regex.compile(r"\p{Arabic}")


@lru_cache(maxsize=65536)
def name_key(word: str, arabic_waw_is_vowel: bool = True) -> str:
    """A script-independent key of a name: its consonant skeleton after transliteration.

    Vowels are dropped after the first letter (Arabic seldom writes them) and consonants that
    scripts confuse are merged, so "Trump", "Трамп" and "ترامب" all give "trmb". A word that starts
    with a vowel starts its key with "a". Arabic و is read as a vowel unless told otherwise
    (it is a w in تويتر, Twitter).
    """
    arabic = bool(ARABIC_LETTER.match(word))
    latin = anyascii(word.lower().translate(_H_LETTERS))
    latin = "".join(ch for ch in latin if "a" <= ch <= "z" or ch in "'H")
    for group, sound in _DIGRAPHS:
        latin = latin.replace(group, sound)
    vowels = _ARABIC_VOWELS if arabic and arabic_waw_is_vowel else _VOWELS
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


_SOFT_C = regex.compile(r"c(?=[eiy])")


def soft_c_key(word: str) -> str | None:
    """The key of a Latin-script name read with a soft c, as other scripts write it (Facebook /
    فيسبوك, Mercedes / Мерседес); None for a word without one. Not the default reading: "viernes"
    would then ground "Francia"."""
    lower = word.lower()
    return name_key(_SOFT_C.sub("s", lower)) if _SOFT_C.search(lower) else None


def keys_match(a: str, b: str) -> bool:
    """Whether two name keys name the same thing, allowing for inflected endings.

    Russian and Czech inflect names (Трампу, Trumpovi, Parlerem), which adds up to two consonants;
    a key of three consonants or fewer must match exactly, as short skeletons collide easily.
    """
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) <= 3:
        return shorter == longer
    return longer.startswith(shorter) and len(longer) - len(shorter) <= 2
