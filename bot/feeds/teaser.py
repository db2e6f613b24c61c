"""Telling teaser entries (a lead-in and a link) from entries that carry the whole story."""

from __future__ import annotations

import re

from bot.feeds.parse import FeedEntry

# An entry body shorter than this is a teaser: the story itself is on the linked page.
TEASER_CHARS = 500

_ELLIPSIS = re.compile(r"(\.\.\.|…)\s*[\])]?$")
# Lower-case endings that feeds append to cut-off summaries.
_READ_MORE = (
    "read more", "continue reading", "keep reading", "read the full story", "read full article", "full story",
    "weiterlesen", "mehr lesen", "lire la suite", "lire plus", "leer más", "seguir leyendo",
    "continua a leggere", "leggi tutto", "leia mais", "continuar lendo", "lees meer", "verder lezen",
    "czytaj dalej", "czytaj więcej", "читать далее", "читать дальше", "подробнее", "читати далі",
    "devamını oku", "läs mer", "les mer", "læs mere", "lue lisää", "続きを読む", "阅读全文", "阅读更多", "더 보기",
)
_TRAILING_DECORATION = " \t\n»›→>)]…."


def is_teaser(entry: FeedEntry) -> bool:
    """True when the entry carries only a lead-in, so the linked page should be fetched for the story."""
    body = entry.content or entry.summary
    return len(body) < TEASER_CHARS or _looks_cut_off(body)


def _looks_cut_off(text: str) -> bool:
    tail = text[-80:].lower().strip()
    return bool(_ELLIPSIS.search(tail)) or tail.rstrip(_TRAILING_DECORATION).endswith(_READ_MORE)
