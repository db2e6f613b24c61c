"""Article text from a web page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Shorter than this, the "article" is a leftover caption or button, not something to summarise.
MIN_ARTICLE_CHARS = 100


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str  # main article text, paragraphs separated by "\n"
    canonical_url: str | None


class ExtractError(Exception):
    """No article could be taken from the page; str(exc) is a short reason."""


def extract_article(html: bytes, *, url: str) -> ExtractedPage:
    """The main text of an article page without navigation, ads and footers.

    CPU-bound, on lxml parsers that trafilatura shares module-wide: run it in a ParsePool worker.
    """
    import trafilatura  # only the processes that extract pay for loading it

    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractError("not an HTML page")
    # Read from the tree before trafilatura prunes it.
    canonical_url = _canonical_url(tree, url)
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
    )


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
