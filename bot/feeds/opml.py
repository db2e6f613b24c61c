"""OPML feed lists: reading one a user uploaded (safely: no DTDs, no entities, no network) and writing one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

MAX_OPML_BYTES = 1_000_000


class OpmlError(ValueError):
    """Not a usable OPML file; str(exc) is a short reason."""


@dataclass(frozen=True)
class OpmlFeed:
    title: str
    url: str


def _parser() -> etree.XMLParser:
    # Entities stay unexpanded and nothing is fetched: no billion laughs, no local files, no requests.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists (outlines with an xmlUrl, at any depth), first of each URL kept."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"larger than {MAX_OPML_BYTES // 1000} KB")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not well-formed XML (line {exc.lineno})") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise OpmlError("document type declarations are not allowed")
    if etree.QName(root).localname != "opml":
        raise OpmlError("the document is not OPML")
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter("{*}outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url and url not in feeds:
            title = (outline.get("title") or outline.get("text") or "").strip()
            feeds[url] = OpmlFeed(title, url)
    if not feeds:
        raise OpmlError("it lists no feeds")
    return list(feeds.values())


def build_opml(title: str, feeds: Iterable[OpmlFeed]) -> bytes:
    root = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(root, "head"), "title").text = title
    body = etree.SubElement(root, "body")
    for feed in feeds:
        etree.SubElement(body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
