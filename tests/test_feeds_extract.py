"""Article extraction and teaser detection."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from html import escape

import pytest

from bench.topics import labelled_articles, stub_pages
from bot.feeds.parse import FeedEntry
from bot.feeds.teaser import is_teaser
from web.extract import ExtractError, extract_article, stub_kind

ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>Council approves river bridge | Example Times</title>
  <link rel="Canonical" href="/2024/05/01/river-bridge">
  <meta property="og:title" content="Council approves river bridge">
</head>
<body>
  <header><a href="/">Example Times</a> <a href="/subscribe">Subscribe for 1 &euro; a month</a></header>
  <nav><ul>
    <li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
  </ul></nav>
  <main>
    <article>
      <h1>Council approves river bridge</h1>
      <p>The city council voted on Tuesday to approve the new river bridge, ending a decade of debate over a
         crossing that residents say will cut their daily commutes in half.</p>
      <p>Construction is expected to start next spring and take three years. The project will cost an estimated
         120 million euros, most of it funded by the regional government.</p>
      <p>Opponents argued that the money should go to public transport instead, but the motion passed with a
         large majority after a session that lasted well into the night.</p>
    </article>
  </main>
  <aside><h3>Most read</h3><ul><li><a href="/a">Ten cats that look like celebrities</a></li></ul></aside>
  <footer><p>&copy; 2024 Example Times. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body>
</html>""".encode()


def test_article_without_boilerplate() -> None:
    page = extract_article(ARTICLE_PAGE, url="https://times.example/story?id=7&utm_source=feed")
    assert page.title == "Council approves river bridge"
    assert page.canonical_url == "https://times.example/2024/05/01/river-bridge"
    assert "The city council voted on Tuesday to approve the new river bridge" in page.text
    assert "most of it funded by the regional government." in page.text
    assert "large majority" in page.text
    for boilerplate in ("Subscribe", "Weather", "celebrities", "All rights reserved", "Privacy policy"):
        assert boilerplate not in page.text
    paragraphs = page.text.split("\n")
    assert any(paragraph.startswith("Construction is expected") for paragraph in paragraphs)


def test_page_without_canonical_link() -> None:
    html = ARTICLE_PAGE.replace(b'rel="Canonical"', b'rel="stylesheet"')
    page = extract_article(html, url="https://times.example/story")
    assert page.canonical_url is None


@pytest.mark.parametrize(
    "html",
    [
        b"<html><head><title>Home</title></head><body></body></html>",
        b"""<html><body><nav><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li></ul></nav>
            <div class="promo">Subscribe to our newsletter</div><footer><p>Copyright 2024</p></footer></body></html>""",
    ],
)
def test_page_without_article_text(html: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_article(html, url="https://times.example/")
    assert str(caught.value) == "no article text found on the page"


@pytest.mark.parametrize("body", [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_not_an_html_page(body: bytes) -> None:
    with pytest.raises(ExtractError) as caught:
        extract_article(body, url="https://times.example/image.png")
    assert str(caught.value) == "not an HTML page"


def as_page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines())
    return (f"<!DOCTYPE html><html><head><title>{escape(title)}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<main><article><h1>{escape(title)}</h1>{paragraphs}</article></main></body></html>").encode()


@pytest.mark.parametrize("page", stub_pages(), ids=lambda page: f"{page.language}-{page.kind}")
def test_cookie_walls_consent_paywall_and_error_pages_are_not_articles(page) -> None:
    expected = {"cookie wall": "a cookie or consent page", "consent": "a cookie or consent page",
                "paywall": "a paywall", "error": "an error page"}[page.kind]
    assert stub_kind(page.title, page.text) == expected
    html = as_page(page.title, page.text)
    with pytest.raises(ExtractError) as caught:
        extract_article(html, url="https://times.example/story")
    assert str(caught.value) == f"the page is {expected}, not an article"


def test_news_articles_are_not_taken_for_such_pages() -> None:
    articles = labelled_articles()
    assert len(articles) >= 150
    assert [article.title for article in articles if stub_kind(article.title, article.text)] == []
    # Quoting one such phrase is not enough: a story about consent banners stays an article.
    story = ("Regulator fines news sites over cookie banners",
             "The data protection authority fined three news sites because their banners had an “Accept all” "
             "button but no way to refuse, and said every privacy policy must be written in plain language.")
    assert stub_kind(*story) is None
    page = extract_article(as_page(story[0], story[1] + " " + LONG), url="https://times.example/fines")
    assert page.title == story[0]


LONG = "The council met for six hours and discussed every detail of the plan. " * 10  # about 700 characters


def entry(summary: str = "", content: str = "") -> FeedEntry:
    return FeedEntry(
        guid="g",
        link="https://times.example/a",
        title="t",
        summary=summary,
        content=content,
        published=datetime(2024, 5, 1, tzinfo=timezone.utc),
    )


@pytest.mark.parametrize(
    ("item", "teaser"),
    [
        (entry(summary="Council approves the bridge."), True),
        (entry(), True),
        (entry(summary=LONG), False),
        (entry(summary="Short teaser.", content=LONG), False),
        (entry(summary=LONG + " And then…"), True),
        (entry(summary=LONG + " And then... "), True),
        (entry(summary=LONG + " [...]"), True),
        (entry(summary=LONG + "\nRead more »"), True),
        (entry(summary=LONG + " Continue reading →"), True),
        (entry(summary=LONG + " Weiterlesen"), True),
        (entry(summary=LONG + " Читать далее"), True),
        (entry(summary=LONG + " Lire la suite"), True),
        (entry(content=LONG + " Leer más"), True),
        (entry(summary=LONG + " They will read more reports."), False),
    ],
)
def test_is_teaser(item: FeedEntry, teaser: bool) -> None:
    assert is_teaser(item) is teaser


def test_full_content_wins_over_a_cut_summary() -> None:
    assert is_teaser(replace(entry(content=LONG), summary="Council approves…")) is False
