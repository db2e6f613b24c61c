"""Digest items as Telegram HTML messages."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.digest.items import DigestItem
from bot.telegram import texts
from bot.telegram.html import link, split_messages


def _marked(text: str, language: str | None) -> str:
    """Escaped text, with its language when it is not the channel's."""
    return escape(text) + (f" <i>({escape(language)})</i>" if language else "")


def format_item(item: DigestItem, language: str) -> str:
    """<b>headline</b>, the text (for a headline-only item, the other sources' headlines), whether it
    is a translation, the sources.

    An update says so before its headline, in the channel's language."""
    title = _marked(item.title, item.title_language)
    if item.kind == "update":
        title = texts.text(language, "update_of", title=texts.Html(title))
    parts = [f"<b>{title}</b>" if item.title else ""]
    if item.form == "headline" and not item.summary:
        parts.extend(
            f"• {link(source.url, source.title)} <i>({escape(source.language)})</i>" if source.language
            else f"• {link(source.url, source.title)}"
            for source in item.sources if source.title and source.title != item.title
        )
    else:
        parts.append(_marked(item.summary, item.summary_language))
    if item.translated_from:
        translated = texts.text(language, "translated_from", language=texts.language_called(item.translated_from, language))
        parts.append(f"<i>{translated}</i>")
    links = [
        link(source.url, source.feed) + (f" ({escape(source.language)})" if source.language else "")
        for source in item.sources
    ]
    if links:
        parts.append(" · ".join(links))
    return "\n".join(part for part in parts if part)


def render_digest(items: Sequence[DigestItem], language: str) -> list[str]:
    return split_messages([format_item(item, language) for item in items])
