"""Digest items as Matrix messages: `m.text` with an `org.matrix.custom.html` body and a plain one.

The outbox keeps each message as the item HTML that Telegram gets too (<b>, <i>, <a>, line breaks
as newlines); `message_content` turns it into the event Matrix takes.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import html as lxml_html

from bot.digest.items import DigestItem
from bot.telegram.html import split_messages
from bot.telegram.render import format_item

# Characters of HTML per message. An event may take 65,536 bytes, formatted and plain bodies
# together, JSON-escaped and UTF-8 (up to 4 bytes a character): this keeps any digest within it.
MATRIX_LIMIT = 6000


def render_digest(items: Sequence[DigestItem], language: str) -> list[str]:
    return split_messages([format_item(item, language) for item in items], limit=MATRIX_LIMIT)


def message_content(text: str) -> dict:
    """The m.room.message content of an outbox message."""
    return {
        "msgtype": "m.text",
        "body": plain_body(text),
        "format": "org.matrix.custom.html",
        "formatted_body": text.replace("\n", "<br>"),
    }


def plain_body(text: str) -> str:
    """The text without markup, each link's address after its label: clients without HTML show this."""
    return "\n".join(_plain_line(line) if line.strip() else line for line in text.split("\n"))


def _plain_line(line: str) -> str:
    element = lxml_html.fromstring(f"<div>{line}</div>")
    for anchor in element.iter("a"):
        if anchor.get("href"):
            anchor.tail = f" <{anchor.get('href')}>" + (anchor.tail or "")
    return element.text_content()
