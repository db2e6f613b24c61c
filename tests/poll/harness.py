"""What the polling tests share: feeds of generated stories, and the store's feeds and articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import Article, Feed
from tests.feedserver import Handler, reply

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}
INTERVAL = 60  # seconds between polls of a healthy test feed
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    body: str
    link: str | None = None


def full_text(topic: str) -> str:
    """An article body long enough not to be taken for a teaser, unique to `topic`."""
    return (
        f"The harbour board met on Tuesday to discuss {topic}. Members heard from dock workers, "
        "shipping companies and residents of the old town, who complained about night-time noise "
        "from the container terminal. The board chair said that a decision would follow after an "
        "independent study of traffic on the access roads, which is expected before the summer. "
        f"Several speakers asked the board to publish every document about {topic} online, and "
        "the chair agreed to do so within two weeks. The next public meeting takes place in June."
    )


def story(number: int) -> Item:
    return Item(f"story-{number}", f"Story {number}", full_text(f"proposal number {number}"))


def rss(*items: Item) -> bytes:
    entries = "".join(
        f'<item><guid isPermaLink="false">{escape(item.guid)}</guid><title>{escape(item.title)}</title>'
        + (f"<link>{escape(item.link)}</link>" if item.link else "")
        + f"<description>{escape(item.body)}</description></item>"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test feed</title>'
        f"{entries}</channel></rss>"
    ).encode()


def serving(*items: Item) -> Handler:
    """A feed route that always answers with these items."""
    return reply(rss(*items), headers=RSS_TYPE)


async def add_feed(sessions: Sessions, name: str, url: str) -> Feed:
    async with sessions() as session:
        feed = Feed(name=name, url=url, interval=INTERVAL)
        session.add(feed)
        await session.commit()
        return feed


async def reload(sessions: Sessions, feed: Feed) -> Feed:
    async with sessions() as session:
        return await session.get(Feed, feed.id)


async def articles_of(sessions: Sessions, feed: Feed) -> list[Article]:
    async with sessions() as session:
        return list(await session.scalars(select(Article).where(Article.feed_id == feed.id).order_by(Article.id)))
