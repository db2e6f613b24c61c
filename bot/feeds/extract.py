"""Article text from a web page, and telling teaser entries from full ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.html import HtmlElement

from bot.feeds.parse import FeedEntry

# Shorter than this, the "article" is a leftover caption or button, not something to summarise.
MIN_ARTICLE_CHARS = 100
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


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str  # main article text, paragraphs separated by "\n"
    canonical_url: str | None
    language: str | None  # primary language subtag, e.g. "en" for lang="en-GB"


class ExtractError(Exception):
    """No article could be taken from the page; str(exc) is a short reason."""


def extract_article(html: bytes, *, url: str) -> ExtractedPage:
    """The main text of an article page without navigation, ads and footers (CPU-bound: run in a thread)."""
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError("not an HTML page")
    # Read from the tree before trafilatura prunes it.
    canonical_url = _canonical_url(tree, url)
    language = _page_language(tree)
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    lines = (line.strip() for line in (document.text or "").splitlines()) if document else ()
    text = "\n".join(line for line in lines if line)
    if len(text) < MIN_ARTICLE_CHARS:
        raise ExtractError("no article text found on the page")
    return ExtractedPage(
        title=document.title or None,
        text=text,
        canonical_url=canonical_url,
        language=language or _primary_subtag(document.language),
    )


def is_teaser(entry: FeedEntry) -> bool:
    """True when the entry carries only a lead-in, so the linked page should be fetched for the story."""
    body = entry.content or entry.summary
    return len(body) < TEASER_CHARS or _looks_cut_off(body)


def _looks_cut_off(text: str) -> bool:
    tail = text[-80:].lower().strip()
    return bool(_ELLIPSIS.search(tail)) or tail.rstrip(_TRAILING_DECORATION).endswith(_READ_MORE)


def _canonical_url(tree: HtmlElement, url: str) -> str | None:
    """<link rel="canonical">, else og:url, made absolute; None when the page names neither."""
    canonical = [
        link.get("href", "") for link in tree.iter("link") if "canonical" in link.get("rel", "").lower().split()
    ]
    og_url = tree.xpath("//meta[@property='og:url']/@content")
    for candidate in (*canonical, *og_url):
        try:
            absolute = urljoin(url, candidate.strip())
        except ValueError:  # e.g. a malformed IPv6 host
            continue
        if candidate.strip() and urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None


def _page_language(tree: HtmlElement) -> str | None:
    declared = tree.xpath(
        "/html/@lang | /html/@xml:lang"
        " | //meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content"
    )
    for value in declared:
        language = _primary_subtag(value)
        if language:
            return language
    return None


def _primary_subtag(tag: str | None) -> str | None:
    primary = re.split(r"[-_,;\s]", (tag or "").strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None
