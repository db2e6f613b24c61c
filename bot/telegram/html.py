"""Telegram HTML: links, plain text of a message, and splitting into messages of at most 4096 characters."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from lxml import html as lxml_html
from telegram import LinkPreviewOptions

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
    messages: list[str] = []
    current = header
    for item in items:
        for piece in _fit(item, limit):
            candidate = f"{current}{_ITEM_SEPARATOR}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(item: str, limit: int) -> list[str]:
    """An item longer than a message is split at line breaks; a line longer still loses its markup."""
    if len(item) <= limit:
        return [item]
    pieces: list[str] = []
    current = ""
    for line in item.split("\n"):
        if len(line) > limit:
            line = _plain_cut(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces


def _plain_cut(line: str, limit: int) -> str:
    """Strip tags and cut: a cut through a tag or entity would make Telegram refuse the message."""
    cut = escape(_line_text(line))[: limit - 1]
    return cut[: cut.rfind("&")] + "…" if "&" in cut[-8:] else cut + "…"
