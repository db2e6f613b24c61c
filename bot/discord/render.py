"""Digest items as Discord messages: markdown, at most 2,000 characters a message, an item never split
(unless it alone is longer).

The items are formatted as for Telegram (bot/telegram/render.py) and packed into messages there;
each message's HTML then becomes markdown: <b> bold, <i> italic, <a> a masked link (its address in
angle brackets, so Discord shows no preview card).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import html as lxml_html

from bot.digest.items import DigestItem
from bot.telegram.html import split_messages
from bot.telegram.render import format_item

DISCORD_LIMIT = 2000  # characters of a message's content
_MARKDOWN_SPECIAL = re.compile(r"([\\*_`~|\[\]])")
_LINE_START_SPECIAL = re.compile(r"^([#>-])", re.MULTILINE)  # headings, quotes and lists begin a line


def render_digest(items: Sequence[DigestItem], language: str) -> list[str]:
    formatted = [format_item(item, language) for item in items]
    limit = DISCORD_LIMIT
    while True:  # markdown escapes can make a message longer than its HTML: pack tighter until all fit
        messages = [markdown(message) for message in split_messages(formatted, limit=limit)]
        if all(len(message) <= DISCORD_LIMIT for message in messages):
            return messages
        limit = limit * 9 // 10


def markdown(message: str) -> str:
    """A Telegram HTML message as Discord markdown, line by line."""
    return _LINE_START_SPECIAL.sub(r"\\\1", "\n".join(
        _markdown(lxml_html.fromstring(f"<div>{line}</div>")) if line.strip() else line for line in message.split("\n")
    ))


def _markdown(element) -> str:
    inner = _escaped(element.text or "") + "".join(_markdown(child) + _escaped(child.tail or "") for child in element)
    if element.tag == "b":
        return f"**{inner}**"
    if element.tag == "i":
        return f"*{inner}*"
    if element.tag == "a" and element.get("href"):
        return f"[{inner}](<{element.get('href')}>)"
    return inner


def _escaped(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
