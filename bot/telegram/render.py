"""Digest items as Telegram HTML messages."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.digest.items import DigestItem
from bot.telegram.html import link, split_messages


def format_item(item: DigestItem) -> str:
    """<b>headline</b>, the summary, then one line of sources with their languages."""
    links = [
        link(source.url, source.feed) + (f" ({escape(source.language)})" if source.language else "")
        for source in item.sources
    ]
    parts = [f"<b>{escape(item.title)}</b>", escape(item.summary)]
    if links:
        parts.append(" · ".join(links))
    return "\n".join(part for part in parts if part)


def render_digest(items: Sequence[DigestItem]) -> list[str]:
    return split_messages([format_item(item) for item in items])
