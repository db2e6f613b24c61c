"""Turn RSS, Atom and JSON Feed documents into plain-text entries."""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import xml.sax
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

JSON_FEED_TYPES = frozenset({"application/feed+json", "application/json"})
JSON_FEED_VERSION_PREFIX = "https://jsonfeed.org/version/"

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table tbody td th thead tr ul".split()
)
_INVISIBLE_TAGS = ("script", "style", "noscript", "template")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_LINK_SCHEMES = frozenset({"http", "https", "file"})
_HTML_START = re.compile(
    rb"^(?:\s|<\?xml[^>]*>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL
)


class FeedParseError(Exception):
    """The document is not a usable feed; str(exc) is a short reason."""


@dataclass(frozen=True)
class FeedEntry:
    guid: str  # entry id/guid; else the link; else a sha1 of title and summary
    link: str | None  # absolute URL
    title: str  # plain text on one line
    summary: str  # plain text, paragraphs separated by "\n"
    content: str  # plain text of the full content when the feed carries it, else ""
    published: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]  # feed order, first of each guid kept
    problem: str | None  # what was wrong with a feed that was still usable


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, fetched_at: datetime) -> ParsedFeed:
    """Parse a feed document fetched from `url`; raise FeedParseError when nothing usable is in it."""
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    if not body.strip():
        raise FeedParseError("empty document")
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{" or (_mimetype(content_type) in JSON_FEED_TYPES and start != b"<"):
        return _parse_json_feed(body, url=url, fetched_at=fetched_at)
    return _parse_xml_feed(body, url=url, content_type=content_type, fetched_at=fetched_at)


def _mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment: entities decoded, one line per block, blank lines dropped."""
    if not markup.strip():
        return ""
    try:
        # Bytes, so an XML declaration inside the markup cannot upset lxml's str handling;
        # a parser per call, since lxml parsers must not be shared between threads.
        parser = lxml.html.HTMLParser(encoding="utf-8")
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except lxml.etree.ParserError:  # nothing but comments or whitespace
        return ""
    lxml.etree.strip_elements(root, *_INVISIBLE_TAGS, with_tail=False)
    for element in root.iter():
        # Line breaks in the markup are plain spaces to HTML; only blocks start new lines.
        # Control characters go too: lxml refuses to store them back.
        text = _SPACES.sub(" ", _CONTROL.sub("", element.text or ""))
        tail = _SPACES.sub(" ", _CONTROL.sub("", element.tail or ""))
        if element.tag in _BLOCK_TAGS:
            text, tail = "\n" + text, "\n" + tail
        element.text, element.tail = text, tail
    return _tidy_lines(root.text_content())


def _tidy_lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- RSS and Atom -------------------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, *, url: str, content_type: str | None, fetched_at: datetime) -> ParsedFeed:
    headers = {"content-type": _trusted_content_type(content_type, body)} if content_type else {}
    # feedparser mangles file: base URLs (file:///a becomes file://a), so those links are resolved here.
    if urlsplit(url).scheme in ("http", "https"):
        headers["content-location"] = url
    try:
        # A file object, not bytes: given bytes that look like a path, feedparser would open that local file.
        result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except Exception as exc:  # feedparser promises not to raise; a poll must still get a FeedParseError
        raise FeedParseError(f"unreadable feed: {exc}") from None
    problem = _describe_bozo(result.get("bozo_exception")) if result.get("bozo") else None
    entries = _unique([_xml_entry(raw, url=url, fetched_at=fetched_at) for raw in result.entries])
    if not entries:
        if _looks_like_html(body, content_type):
            raise FeedParseError("not a feed (looks like an HTML page)")
        if problem:
            raise FeedParseError(problem)
        if not result.get("version"):
            raise FeedParseError("not a feed (no RSS or Atom root element)")
    title = _one_line(_detail_text(result.feed, "title")) or None
    return ParsedFeed(title=title, entries=entries, problem=problem)


def _trusted_content_type(content_type: str, body: bytes) -> str:
    """The Content-Type header, without a charset the body contradicts.

    feedparser lets the HTTP charset win over the XML declaration, but servers often send a stale
    single-byte charset for UTF-8 feeds; a body that decodes as UTF-8 is UTF-8.
    """
    charset = _CHARSET.search(content_type)
    if not charset or charset.group(1).lower() in ("utf-8", "utf8"):
        return content_type
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return content_type
    return _mimetype(content_type)


def _describe_bozo(error: Exception | None) -> str | None:
    # Served as text/html or octet-stream, or a charset feedparser had to correct: it coped, so no problem.
    if isinstance(error, (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)):
        return None
    if isinstance(error, xml.sax.SAXParseException):
        return f"malformed XML: {error.getMessage()} at line {error.getLineNumber()}"
    if isinstance(error, feedparser.CharacterEncodingUnknown):
        return f"encoding problem: {error}"
    return f"malformed feed: {error}" if error else None


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    is_html_type = _mimetype(content_type) in ("text/html", "application/xhtml+xml")
    return is_html_type or bool(_HTML_START.match(body[:4096]))


def _detail_text(entry: Any, key: str) -> str:
    """Plain text of a feedparser text construct, treating it as HTML unless marked text/plain."""
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return _tidy_lines(value)
    return html_to_text(value)


def _xml_entry(raw: Any, *, url: str, fetched_at: datetime) -> FeedEntry:
    title = _one_line(_detail_text(raw, "title"))
    summary = _detail_text(raw, "summary")
    # Atom may carry several content elements; feedparser lists content:encoded here as well.
    contents = (
        _tidy_lines(part.value) if part.get("type") == "text/plain" else html_to_text(part.value)
        for part in raw.get("content", [])
    )
    content = "\n".join(dict.fromkeys(text for text in contents if text))
    link = _absolute_link(url, raw.get("link"))
    when = raw.get("published_parsed") or raw.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(when), timezone.utc) if when else fetched_at
    return FeedEntry(
        guid=_guid(raw.get("id"), link, title, summary),
        link=link,
        title=title,
        summary=summary,
        content=content,
        published=published,
    )


# --- JSON Feed ----------------------------------------------------------------------------------------


def _parse_json_feed(body: bytes, *, url: str, fetched_at: datetime) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FeedParseError("invalid JSON Feed: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON Feed: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise FeedParseError("invalid JSON Feed: nested too deeply") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(JSON_FEED_VERSION_PREFIX):
        raise FeedParseError("invalid JSON Feed: no jsonfeed.org version")
    items = document.get("items", [])
    if not isinstance(items, list):
        raise FeedParseError("invalid JSON Feed: 'items' is not a list")
    entries = [_json_entry(item, url=url, fetched_at=fetched_at) for item in items if isinstance(item, dict)]
    title = _one_line(_text_field(document, "title") or "") or None
    return ParsedFeed(title=title, entries=_unique(entries), problem=None)


def _json_entry(item: dict[str, Any], *, url: str, fetched_at: datetime) -> FeedEntry:
    link = _absolute_link(url, _text_field(item, "url") or _text_field(item, "external_url"))
    title = _one_line(_text_field(item, "title") or "")
    summary = _tidy_lines(_text_field(item, "summary") or "")
    content_html = _text_field(item, "content_html")
    content = html_to_text(content_html) if content_html else _tidy_lines(_text_field(item, "content_text") or "")
    published = _json_date(item.get("date_published")) or _json_date(item.get("date_modified")) or fetched_at
    raw_id = item.get("id")
    # Ids must be strings, but some feeds publish numbers.
    guid_source = str(raw_id) if type(raw_id) is int else _text_field(item, "id")
    return FeedEntry(
        guid=_guid(guid_source, link, title, summary),
        link=link,
        title=title,
        summary=summary,
        content=content,
        published=published,
    )


def _text_field(mapping: dict[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    if not isinstance(value, str):
        return None
    # JSON may carry lone surrogates (an escaped half of a pair), which no encoder downstream accepts.
    return value.encode("utf-8", "replace").decode("utf-8")


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# --- shared -------------------------------------------------------------------------------------------


def _absolute_link(base: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
    except ValueError:
        return None
    return absolute if urlsplit(absolute).scheme in _LINK_SCHEMES else None


def _guid(raw_id: str | None, link: str | None, title: str, summary: str) -> str:
    if raw_id and raw_id.strip():
        return raw_id.strip()
    if link:
        return link
    return hashlib.sha1(f"{title}\n{summary}".encode("utf-8")).hexdigest()


def _unique(entries: list[FeedEntry]) -> list[FeedEntry]:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.guid not in seen:
            seen.add(entry.guid)
            unique.append(entry)
    return unique
