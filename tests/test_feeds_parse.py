"""parse_feed on inline RSS, Atom and JSON Feed documents."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from bot.feeds.parse import FeedParseError, html_to_text, parse_feed

FETCHED_AT = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
FEED_URL = "https://news.example/feeds/main.xml"


def parse(body: bytes, url: str = FEED_URL, content_type: str | None = None):
    return parse_feed(body, url=url, content_type=content_type, fetched_at=FETCHED_AT)


RSS_20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example  News</title>
  <link>https://news.example/</link>
  <item>
    <title>Bridge   approved &amp; funded</title>
    <link>/2024/05/bridge</link>
    <guid isPermaLink="false">bridge-2024</guid>
    <pubDate>Wed, 01 May 2024 09:30:00 +0200</pubDate>
    <dc:creator>Ann Reporter</dc:creator>
    <description>&lt;p&gt;The council voted &amp;amp; approved.&lt;/p&gt;
      &lt;p&gt;More&amp;nbsp;soon.&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>Full <b>story</b> here.</p><script>track()</script>
      <ul><li>One</li><li>Two</li></ul>]]></content:encoded>
  </item>
  <item>
    <title>Second</title>
    <link>https://news.example/2024/05/second</link>
    <description>Plain summary.</description>
  </item>
</channel>
</rss>"""


def test_rss_20() -> None:
    feed = parse(RSS_20)
    assert feed.title == "Example News"
    assert feed.problem is None
    first, second = feed.entries
    assert first.guid == "bridge-2024"
    assert first.link == "https://news.example/2024/05/bridge"
    assert first.title == "Bridge approved & funded"
    assert first.summary == "The council voted & approved.\nMore soon."
    assert first.content == "Full story here.\nOne\nTwo"
    assert first.published == datetime(2024, 5, 1, 7, 30, tzinfo=timezone.utc)
    assert second.guid == "https://news.example/2024/05/second"  # no guid: the link stands in
    assert (second.summary, second.content) == ("Plain summary.", "")


def test_rss_10_rdf() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF site</title><link>https://rdf.example/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/a"/></rdf:Seq></items></channel>
  <item rdf:about="https://rdf.example/a">
    <title>RDF item</title><link>https://rdf.example/a</link>
    <description>About RDF.</description><dc:date>2024-04-30T08:00:00Z</dc:date>
  </item>
</rdf:RDF>"""
    feed = parse(body)
    assert feed.title == "RDF site"
    [entry] = feed.entries
    assert (entry.title, entry.link, entry.summary) == ("RDF item", "https://rdf.example/a", "About RDF.")
    assert entry.published == datetime(2024, 4, 30, 8, 0, tzinfo=timezone.utc)


def test_rss_091() -> None:
    body = b"""<?xml version="1.0"?>
<rss version="0.91"><channel><title>Old school</title><link>https://old.example/</link>
<description>d</description><language>en</language>
<item><title>Vintage</title><link>https://old.example/v</link><description>Still works.</description></item>
</channel></rss>"""
    [entry] = parse(body).entries
    assert (entry.title, entry.link, entry.summary) == ("Vintage", "https://old.example/v", "Still works.")
    assert entry.published == FETCHED_AT


def test_atom_10() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/blog/">
  <title type="text">Atom &lt;Blog&gt;</title>
  <id>urn:uuid:feed</id><updated>2024-05-01T10:00:00Z</updated>
  <entry>
    <title type="html">Release &lt;em&gt;2.0&lt;/em&gt;</title>
    <id>urn:uuid:entry-1</id>
    <link rel="alternate" href="posts/release-2"/>
    <updated>2024-05-01T10:00:00+03:00</updated>
    <author><name>Jo Dev</name></author>
    <summary type="text">Short &amp; sweet</summary>
    <content type="html">&lt;h2&gt;What is new&lt;/h2&gt;&lt;p&gt;Everything.&lt;/p&gt;</content>
  </entry>
</feed>"""
    feed = parse(body, url="https://atom.example/blog/atom.xml")
    assert feed.title == "Atom <Blog>"
    [entry] = feed.entries
    assert entry.guid == "urn:uuid:entry-1"
    assert entry.link == "https://atom.example/blog/posts/release-2"
    assert entry.title == "Release 2.0"
    assert entry.summary == "Short & sweet"
    assert entry.content == "What is new\nEverything."
    assert entry.published == datetime(2024, 5, 1, 7, 0, tzinfo=timezone.utc)  # updated stands in


def test_json_feed_11() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON  news",
        "items": [
            {
                "id": "j1",
                "url": "/posts/1",
                "title": "Hello JSON",
                "summary": "A summary.",
                "content_html": "<p>Body &amp; soul.</p><p>Second.</p>",
                "date_published": "2024-05-01T10:00:00+02:00",
                "authors": [{"name": "Kim"}, {"name": "Lee"}],
            },
            {"id": 2, "content_text": "Only text.", "author": {"name": "Old Style"}},
            "not an item",
        ],
    }
    body = json.dumps(document).encode()
    feed = parse(body, url="https://json.example/feed.json", content_type="application/feed+json")
    assert feed.title == "JSON news"
    first, second = feed.entries
    assert first.guid == "j1"
    assert first.link == "https://json.example/posts/1"
    assert (first.title, first.summary, first.content) == ("Hello JSON", "A summary.", "Body & soul.\nSecond.")
    assert first.published == datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
    assert (second.guid, second.link, second.content) == ("2", None, "Only text.")
    assert second.published == FETCHED_AT


def test_xml_served_as_json_is_still_parsed() -> None:
    assert parse(RSS_20, content_type="application/json").title == "Example News"


def test_json_feed_recognised_without_content_type() -> None:
    body = b'\n {"version": "https://jsonfeed.org/version/1", "title": "t", "items": []}'
    assert parse(body, content_type="application/octet-stream").entries == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON Feed: Expecting value at line 1"),
        (b'{"items": []}', "invalid JSON Feed: no jsonfeed.org version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "invalid JSON Feed: 'items' is not a list"),
        (b'{"items": ' + b"[" * 100_000, "invalid JSON Feed: nested too deeply"),
    ],
)
def test_bad_json_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse(body)
    assert str(caught.value) == message


def test_malformed_xml_with_usable_entries() -> None:
    body = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Broken</title>
<item><title>Good one</title><guid>g1</guid></item>
<item><title>Bad one</titel></item>
</channel></rss>"""
    feed = parse(body)
    assert [entry.title for entry in feed.entries][0] == "Good one"
    assert feed.problem == "malformed XML: mismatched tag at line 4"


def test_malformed_xml_without_entries() -> None:
    with pytest.raises(FeedParseError, match="^malformed XML: "):
        parse(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off</chanel>')


@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8"])
def test_html_page_is_not_a_feed(content_type: str | None) -> None:
    body = b"<!DOCTYPE html>\n<html><head><title>Home</title></head><body><p>Welcome!</p></body></html>"
    with pytest.raises(FeedParseError) as caught:
        parse(body, content_type=content_type)
    assert str(caught.value) == "not a feed (looks like an HTML page)"


def test_empty_feed_is_fine() -> None:
    feed = parse(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert (feed.title, feed.entries, feed.problem) == ("Quiet", [], None)


@pytest.mark.parametrize("body", [b"", b"  \n\t"])
def test_empty_document(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="^empty document$"):
        parse(body)


def test_duplicate_guids_keep_the_first() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
<item><title>First</title><guid>same</guid></item>
<item><title>Again</title><guid>same</guid></item>
<item><title>Other</title><guid>other</guid></item>
</channel></rss>"""
    assert [entry.title for entry in parse(body).entries] == ["First", "Other"]


def test_entry_without_link_or_guid() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
<item><title>Lonely</title><description>No link, no date.</description></item>
</channel></rss>"""
    [entry] = parse(body).entries
    assert entry.link is None
    assert entry.guid == hashlib.sha1("Lonely\nNo link, no date.".encode()).hexdigest()
    assert entry.published == FETCHED_AT


def test_naive_fetched_at_is_taken_as_utc() -> None:
    body = b'<rss version="2.0"><channel><item><title>x</title></item></channel></rss>'
    [entry] = parse_feed(body, url=FEED_URL, fetched_at=datetime(2024, 1, 2, 3, 4)).entries
    assert entry.published == datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("windows-1251", None),
        ("windows-1251", "text/xml"),  # RFC 3023 would make this us-ascii; the declaration still wins
        ("windows-1251", "application/rss+xml; charset=utf-8"),  # a wrong header is corrected
        ("koi8-r", "application/xml"),
        ("utf-8", "text/xml; charset=windows-1251"),  # a stale header charset on a UTF-8 feed
    ],
)
def test_cyrillic_encodings(encoding: str, content_type: str | None) -> None:
    text = f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Новости дня</title>
<item><title>Мост одобрен</title><link>https://ru.example/most</link>
<description>Городской совет проголосовал "за".</description></item>
</channel></rss>"""
    feed = parse(text.encode(encoding), content_type=content_type)
    assert (feed.title, feed.problem) == ("Новости дня", None)
    [entry] = feed.entries
    assert (entry.title, entry.summary) == ("Мост одобрен", 'Городской совет проголосовал "за".')


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x9f\xff\xfe garbage \x93\x94",
        "<rss version='2.0'><channel><item><title>Caf\u00e9</title></item></channel></rss>".encode("latin-1"),
        b"\xff\xfe<\x00r\x00s\x00s\x00",
        b"just some words",
    ],
)
def test_undeclared_garbage_gives_text_or_a_clear_error(body: bytes) -> None:
    try:
        feed = parse(body)
    except FeedParseError:
        return
    assert all(isinstance(entry.title, str) for entry in feed.entries)


def test_relative_links_against_a_file_url() -> None:
    body = b"""<rss version="2.0"><channel><title>Local</title>
<item><title>Sibling</title><link>stories/one.html</link></item>
<item><title>Rooted</title><link>/srv/two.html</link></item>
<item><title>Absolute</title><link>https://news.example/three</link></item>
<item><title>Unsafe</title><link>javascript:alert(1)</link></item>
</channel></rss>"""
    links = [entry.link for entry in parse(body, url="file:///srv/demo/feed.xml").entries]
    assert links == [
        "file:///srv/demo/stories/one.html",
        "file:///srv/two.html",
        "https://news.example/three",
        None,
    ]


def test_body_that_names_a_local_file_is_not_read(tmp_path) -> None:
    local = tmp_path / "secret.xml"
    local.write_bytes(RSS_20)
    with pytest.raises(FeedParseError):
        parse(str(local).encode())


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("", ""),
        ("<!-- only a comment -->", ""),
        ("a &lt; b &amp; c", "a < b & c"),
        ("Intro<p>Para one</p>tail<br>next", "Intro\nPara one\ntail\nnext"),
        ("<style>p{}</style><div>  spaced \n  out  </div>", "spaced out"),
        ("<?xml version='1.0' encoding='utf-8'?><p>declared</p>", "declared"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text
