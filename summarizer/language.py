"""Language detection (lingua) and the language names used in prompts."""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# lingua's confidences are shares over all languages: a short sentence may give its language
# only 0.3, but clearly ahead of the next one. Below both bars the guess is no better than chance.
_MIN_CONFIDENCE = 0.2
_MIN_LEAD = 1.5


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Models load lazily per language: cheap to build, memory grows only with what is seen.
    return LanguageDetectorBuilder.from_all_languages().build()


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when it cannot be told."""
    sample = text[:4000]
    if sum(ch.isalpha() for ch in sample) < 12:
        return None
    confidences = _detector().compute_language_confidence_values(sample)
    if not confidences or confidences[0].value < _MIN_CONFIDENCE:
        return None
    if len(confidences) > 1 and confidences[0].value < _MIN_LEAD * confidences[1].value:
        return None
    return confidences[0].language.iso_code_639_1.name.lower()


def likeliest_language(text: str) -> str | None:
    """The language lingua ranks first for the text, however narrowly (detect_language asks for a
    clear lead): for telling whether a short text is in the language it should be."""
    confidences = _detector().compute_language_confidence_values(text[:4000])
    return confidences[0].language.iso_code_639_1.name.lower() if confidences and confidences[0].value > 0 else None


def load_language_detector() -> None:
    """Load every model of the detector now (seconds of CPU, about 900 MB) rather than on first use.
    Blocking: call it from a worker thread inside an event loop."""
    # Shorter than 120 characters: lingua loads the models of every n-gram length, not only trigrams.
    detect_language("Any short sentence loads every model of the language detector.")


def is_supported(code: str) -> bool:
    return _language(code) is not None


def iso_639_3(code: str) -> str | None:
    """The three-letter code of a language given by its two-letter one ("cs" -> "ces")."""
    language = _language(code)
    return language.iso_code_639_3.name.lower() if language else None


def _language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        return None


# Prompt labels written in the target language: a small base model follows a cue in the
# language it should write much more often than an English instruction naming that language.
# (summary, headline, "the news in <language>")
_NATIVE = {
    "en": ("Summary in English", "Headline in English", "The news in English"),
    "fr": ("Résumé en français", "Titre en français", "L'information en français"),
    "de": ("Zusammenfassung auf Deutsch", "Schlagzeile auf Deutsch", "Die Nachricht auf Deutsch"),
    "es": ("Resumen en español", "Titular en español", "La noticia en español"),
    "it": ("Riassunto in italiano", "Titolo in italiano", "La notizia in italiano"),
    "pt": ("Resumo em português", "Manchete em português", "A notícia em português"),
    "nl": ("Samenvatting in het Nederlands", "Kop in het Nederlands", "Het nieuws in het Nederlands"),
    "pl": ("Streszczenie po polsku", "Nagłówek po polsku", "Wiadomość po polsku"),
    "cs": ("Shrnutí v češtině", "Titulek v češtině", "Zpráva v češtině"),
    "sk": ("Zhrnutie v slovenčine", "Titulok v slovenčine", "Správa v slovenčine"),
    "uk": ("Короткий зміст українською", "Заголовок українською", "Новина українською"),
    "ru": ("Краткое содержание на русском языке", "Заголовок на русском языке", "Новость на русском языке"),
    "ar": ("ملخص باللغة العربية", "العنوان باللغة العربية", "الخبر باللغة العربية"),
    "tr": ("Türkçe özet", "Türkçe başlık", "Türkçe haber"),
    "fa": ("خلاصه به فارسی", "تیتر به فارسی", "خبر به فارسی"),
    "hi": ("हिन्दी में सारांश", "हिन्दी में शीर्षक", "हिन्दी में समाचार"),
    "zh": ("中文摘要", "中文标题", "中文新闻"),
    "ja": ("日本語の要約", "日本語の見出し", "日本語のニュース"),
    "ko": ("한국어 요약", "한국어 제목", "한국어 뉴스"),
    "sv": ("Sammanfattning på svenska", "Rubrik på svenska", "Nyheten på svenska"),
    "el": ("Περίληψη στα ελληνικά", "Τίτλος στα ελληνικά", "Η είδηση στα ελληνικά"),
    "he": ("תקציר בעברית", "כותרת בעברית", "החדשה בעברית"),
}


def language_name(code: str) -> str:
    """The language's name in English (for instructions), e.g. 'ru' -> 'Russian'."""
    language = _language(code)
    return language.name.capitalize() if language else code


def summary_label(code: str) -> str:
    """'Summary in <language>' written in that language where we know it."""
    native = _NATIVE.get(code)
    return native[0] if native else f"Summary in {language_name(code)}"


def headline_label(code: str) -> str:
    native = _NATIVE.get(code)
    return native[1] if native else f"Headline in {language_name(code)}"


def news_label(code: str) -> str:
    native = _NATIVE.get(code)
    return native[2] if native else f"The news in {language_name(code)}"


# The Unicode scripts (as regex's \p{Script} names) each language is written in; every other
# language in this table's absence is written in Latin letters.
_SCRIPTS = {
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk", "mn", "ky", "tg"), ("Cyrillic",)),
    **dict.fromkeys(("ar", "fa", "ur", "ps"), ("Arabic",)),
    **dict.fromkeys(("he", "yi"), ("Hebrew",)),
    **dict.fromkeys(("hi", "mr", "ne"), ("Devanagari",)),
    "el": ("Greek",),
    "bn": ("Bengali",),
    "pa": ("Gurmukhi",),
    "gu": ("Gujarati",),
    "ta": ("Tamil",),
    "te": ("Telugu",),
    "th": ("Thai",),
    "ka": ("Georgian",),
    "hy": ("Armenian",),
    "zh": ("Han",),
    "ja": ("Han", "Hiragana", "Katakana"),
    "ko": ("Hangul", "Han"),
}


def scripts_of(code: str) -> tuple[str, ...]:
    """The scripts a language's letters come from, e.g. 'ru' -> ('Cyrillic',)."""
    return _SCRIPTS.get(code, ("Latin",))
