"""Digest items as Slack messages: mrkdwn, at most 4,000 characters a message (Slack's advice for a
message's text), an item never split (unless it alone is longer).

The items are formatted as for Telegram (bot/telegram/render.py) and packed there; each message's
HTML then becomes mrkdwn: <b> *bold*, <i> _italic_, <a> <url|label>.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import html as lxml_html

from bot.digest.items import DigestItem
from bot.telegram.html import split_messages
from bot.telegram.render import format_item

SLACK_LIMIT = 4000


def render_digest(items: Sequence[DigestItem], language: str) -> list[str]:
    formatted = [format_item(item, language) for item in items]
    limit = SLACK_LIMIT
    while True:  # escapes can make a message longer than its HTML: pack tighter until all fit
        messages = [mrkdwn(message) for message in split_messages(formatted, limit=limit)]
        if all(len(message) <= SLACK_LIMIT for message in messages):
            return messages
        limit = limit * 9 // 10


def mrkdwn(message: str) -> str:
    """A Telegram HTML message as Slack mrkdwn, line by line."""
    return "\n".join(_mrkdwn(lxml_html.fromstring(f"<div>{line}</div>")) if line.strip() else line
                     for line in message.split("\n"))


def _mrkdwn(element) -> str:
    inner = _escaped(element.text or "") + "".join(_mrkdwn(child) + _escaped(child.tail or "") for child in element)
    if element.tag == "b":
        return f"*{inner}*"
    if element.tag == "i":
        return f"_{inner}_"
    if element.tag == "a" and element.get("href"):
        return f"<{_escaped(element.get('href'))}|{inner.replace('|', '¦')}>"
    return inner


def _escaped(text: str) -> str:
    """The three characters Slack asks to escape in text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
