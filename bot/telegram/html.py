"""Telegram HTML: links, plain text of a message, and splitting into messages of at most 4096 characters."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from lxml import html as lxml_html
from telegram import LinkPreviewOptions

from summarizer import pack

TELEGRAM_LIMIT = 4096
# Digests and replies list several links; a preview of the first one would bury the text.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_ITEM_SEPARATOR = "\n\n"


def link(url: str | None, label: str) -> str:
    """An <a> for http(s) links; plain escaped text for anything else (file:, javascript:, none)."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>'
    return escape(label)


def plain_text(message: str) -> str:
    """The visible text of a Telegram HTML message, line breaks kept."""
    return "\n".join(_line_text(line) for line in message.split("\n"))


def _line_text(line: str) -> str:
    return lxml_html.fromstring(f"<div>{line}</div>").text_content() if line.strip() else line


def split_messages(items: Sequence[str], header: str = "", limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pack items into messages, splitting only between items; an item over the limit is cut safely."""
    return _pack([piece for item in items for piece in _fit(item, limit)], _ITEM_SEPARATOR, limit, header)


def _fit(item: str, limit: int) -> list[str]:
    """An item longer than a message is split at line breaks; a line longer still loses its markup."""
    if len(item) <= limit:
        return [item]
    return _pack([_plain_cut(line, limit) if len(line) > limit else line for line in item.split("\n")], "\n", limit)


def _pack(pieces: Sequence[str], separator: str, limit: int, first: str = "") -> list[str]:
    """As few texts of at most `limit` characters as hold the pieces in order, joined by `separator`."""
    groups = pack([first, *pieces] if first else pieces, lambda group: len(separator.join(group)) <= limit)
    return [separator.join(group) for group in groups]


def _plain_cut(line: str, limit: int) -> str:
    """Strip tags and cut: a cut through a tag or entity would make Telegram refuse the message."""
    cut = escape(_line_text(line))[: limit - 1]
    return cut[: cut.rfind("&")] + "…" if "&" in cut[-8:] else cut + "…"
