"""A news site of real-looking article pages behind teaser feeds, written from tests/data/stories.jsonl.

Pages are built like a real outlet's: a head full of meta tags, JSON-LD, styles and scripts; menus,
breadcrumbs, a share bar, a figure, related stories, a comment thread, a cookie banner and a long
footer around the article, with some tags left unclosed as browsers tolerate. Each article is a
different mix of one language's sample paragraphs (some pages a single-paragraph brief), so
extraction works through a page of about 80 KB as it does on the web, and no two pages are copies.
A third of the pages come in the language's legacy single-byte charset. Feeds carry only a lead and a link.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from html import escape
from pathlib import Path

from aiohttp import web

ARTICLES = Path(__file__).resolve().parent / "data" / "stories.jsonl"
TEASER_CHARS = 160
LEGACY_CHARSETS = {"ar": "windows-1256", "ru": "windows-1251", "de": "iso-8859-15", "fr": "windows-1252"}
SECTIONS = ("World", "Politics", "Business", "Science", "Sport", "Culture", "Opinion", "Weather", "Travel", "Video")


@dataclass(frozen=True)
class SiteArticle:
    title: str
    language: str
    paragraphs: tuple[str, ...]

    @property
    def teaser(self) -> str:
        return self.paragraphs[0][:TEASER_CHARS].rsplit(" ", 1)[0] + " …"


class NewsSite:
    """`feeds` feeds of `entries` teasers each; feed i is /feed/i.xml, its entry k links to /news/i/k.html."""

    def __init__(self, feeds: int, entries: int) -> None:
        self.feeds, self.entries = feeds, entries
        self._titles: dict[str, list[str]] = defaultdict(list)
        self._paragraphs: dict[str, list[str]] = defaultdict(list)
        for line in ARTICLES.read_text(encoding="utf-8").splitlines():
            if line:
                sample = json.loads(line)
                self._titles[sample["language"]].append(sample["title"])
                self._paragraphs[sample["language"]] += sample["text"].split("\n\n")
        self._languages = sorted(self._titles)

    def pages(self) -> list[tuple[int, int]]:
        return [(feed, entry) for feed in range(self.feeds) for entry in range(self.entries)]

    def article(self, feed: int, entry: int) -> SiteArticle:
        pick = random.Random(f"article {feed}/{entry}")
        language = self._languages[feed % len(self._languages)]
        count = 1 if pick.random() < 0.1 else pick.randint(5, 9)
        paragraphs = pick.sample(self._paragraphs[language], count)
        return SiteArticle(pick.choice(self._titles[language]), language, tuple(paragraphs))

    def feed(self, feed: int, base_url: str) -> bytes:
        items = "".join(
            f"<item><title>{escape(article.title)}</title><link>{base_url}/news/{feed}/{entry}.html</link>"
            f'<guid isPermaLink="false">site-{feed}-{entry}</guid>'
            f"<description>{escape(article.teaser)}</description></item>"
            for entry in range(self.entries)
            for article in [self.article(feed, entry)]
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Site feed {feed}</title><link>{base_url}/</link>{items}</channel></rss>"
        ).encode()

    def charset(self, feed: int, entry: int) -> str:
        legacy = LEGACY_CHARSETS.get(self.article(feed, entry).language)
        return legacy if legacy and random.Random(f"charset {feed}/{entry}").random() < 1 / 3 else "utf-8"

    def page(self, feed: int, entry: int, base_url: str) -> bytes:
        article = self.article(feed, entry)
        charset = self.charset(feed, entry)
        pick = random.Random(f"page {feed}/{entry}")
        url = f"{base_url}/news/{feed}/{entry}.html"
        others = self._paragraphs[article.language]
        body = "\n".join(
            f"<p>{_inline_markup(paragraph, pick)}" + ("</p>" if pick.random() < 0.8 else "")  # some left open
            for paragraph in article.paragraphs
        )
        quote = f"<blockquote><p>{escape(pick.choice(others)[:180])}</p></blockquote>" if pick.random() < 0.5 else ""
        return f"""<!DOCTYPE html>
<html lang="{article.language}" dir="{'rtl' if article.language == 'ar' else 'ltr'}">
<head>
<meta charset="{charset}"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(article.title)} | Site {feed}</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article"><meta property="og:url" content="{url}">
<meta property="og:title" content="{escape(article.title)}">
<meta property="og:description" content="{escape(article.teaser)}">
<meta name="twitter:card" content="summary_large_image">
<meta name="description" content="{escape(article.teaser)}">
<meta property="article:published_time" content="2026-11-{1 + entry % 28:02d}T{entry % 24:02d}:15:00Z">
<script type="application/ld+json">{_json_ld(article, url)}</script>
<style>{_stylesheet(pick)}</style>
<script>{_script(pick)}</script>
<!-- ad slots: {escape(" ".join(f"slot-{n}" for n in range(40)))} -->
</head>
<body class="article-page">
<div id="cookie-banner" class="banner"><p>We use cookies to improve your experience and to show you
personalised advertising. <a href="/privacy">Privacy settings</a> <button>Accept all</button></p></div>
<header class="masthead"><a class="logo" href="/">Site {feed}</a>
<nav class="main-menu"><ul>{_menu(pick, 6)}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"><button>Go</button></form></header>
<nav class="breadcrumb"><a href="/">Home</a> › <a href="/{pick.choice(SECTIONS).lower()}">{pick.choice(SECTIONS)}</a></nav>
<div class="ad ad-leaderboard"><iframe src="about:blank" title="advertisement"></iframe></div>
<main id="content">
<article class="story">
<h1 class="headline">{escape(article.title)}</h1>
<div class="byline">By <a href="/authors/{pick.randint(1, 99)}">Staff reporter</a>
<time datetime="2026-11-{1 + entry % 28:02d}">{1 + entry % 28} November 2026</time></div>
<ul class="share"><li><a href="/share/mail">Mail</a><li><a href="/share/x">Post</a><li><a href="/share/fb">Share</a></ul>
<figure><img src="/img/{feed}-{entry}.jpg" alt="{escape(article.title)}" width="1200" height="675">
<figcaption>Photo: agency</figcaption></figure>
<div class="story-body">
{body}
{quote}
</div>
<div class="newsletter"><h3>Newsletter</h3><p>The day's news in your inbox every morning.</p>
<input type="email" placeholder="Email"><button>Subscribe</button></div>
</article>
<section class="related"><h2>Related stories</h2><ul>{_related(pick, self._titles[article.language])}</ul></section>
<section class="comments"><h2>Comments ({pick.randint(3, 12)})</h2>{_comments(pick, others)}</section>
</main>
<aside class="sidebar"><h2>Most read</h2><ol>{_related(pick, self._titles[article.language])}</ol>
<div class="ad ad-skyscraper">Advertisement</div></aside>
<footer class="site-footer"><nav><ul>{_menu(pick, 40)}</ul></nav>
<p>&copy; 2026 Site {feed}. All rights reserved. Reproduction without permission is prohibited.</p></footer>
<script>{_script(pick)}</script>
</body>
</html>""".encode(charset, errors="xmlcharrefreplace")

    def app(self) -> web.Application:
        """The site as an aiohttp application."""

        async def feed(request: web.Request) -> web.Response:
            body = self.feed(int(request.match_info["feed"]), f"http://{request.host}")
            return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")

        async def page(request: web.Request) -> web.Response:
            feed_number, entry = int(request.match_info["feed"]), int(request.match_info["entry"])
            body = self.page(feed_number, entry, f"http://{request.host}")
            return web.Response(body=body, content_type="text/html", charset=self.charset(feed_number, entry))

        app = web.Application()
        app.router.add_get("/feed/{feed:\\d+}.xml", feed)
        app.router.add_get("/news/{feed:\\d+}/{entry:\\d+}.html", page)
        return app


def _inline_markup(paragraph: str, pick: random.Random) -> str:
    """Links and emphasis around some words, as editors add them."""
    words = [escape(word) for word in paragraph.split(" ")]
    for _ in range(min(3, len(words) // 8)):
        at = pick.randrange(len(words))
        tag = pick.choice(["a", "em", "strong"])
        attributes = f' href="/topic/{pick.randint(1, 500)}"' if tag == "a" else ""
        words[at] = f"<{tag}{attributes}>{words[at]}</{tag}>"
    return " ".join(words)


def _menu(pick: random.Random, links: int) -> str:
    return "".join(
        f'<li><a href="/{section.lower()}/{pick.randint(1, 999)}">{section}</a></li>'
        for section in (pick.choice(SECTIONS) for _ in range(links))
    )


def _related(pick: random.Random, titles: list[str]) -> str:
    return "".join(
        f'<li><a href="/news/{pick.randint(1, 9999)}"><img src="/img/t{n}.jpg" alt="">{escape(title)}</a></li>'
        for n, title in enumerate(pick.sample(titles, min(6, len(titles))))
    )


def _comments(pick: random.Random, paragraphs: list[str]) -> str:
    return "".join(
        f'<div class="comment"><span class="user">reader{pick.randint(1, 9999)}</span>'
        f"<p>{escape(pick.choice(paragraphs)[:pick.randint(40, 200)])}</p><a href=\"#reply\">Reply</a></div>"
        for _ in range(pick.randint(3, 8))
    )


def _json_ld(article: SiteArticle, url: str) -> str:
    return json.dumps(
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": article.title, "url": url,
         "inLanguage": article.language, "description": article.teaser},
        ensure_ascii=False,
    ).replace("</", "<\\/")


def _stylesheet(pick: random.Random) -> str:
    return "".join(
        f".c{n}{{margin:{pick.randint(0, 40)}px;color:#{pick.randrange(16**6):06x};display:flex}}" for n in range(400)
    )


def _script(pick: random.Random) -> str:
    """Minified-looking tracking code: tens of kilobytes, as real pages carry."""
    return ";".join(
        f"var v{n}=function(a,b){{return a<b?'{pick.randrange(16**8):08x}':b+{pick.randint(0, 99)}}}" for n in range(500)
    )
