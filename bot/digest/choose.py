"""Which stories a channel's next digest carries: from its feeds, new there or with new sources, current,
filtered, ranked."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.digest.topics import Topics
from bot.store.tables import Article, Channel, Feed, PostedArticle, PostedStory, Story
from bot.stories.grouping import STORY_WINDOW
from config.filters import TopicRule, compile_rule, parse_topic


def matches(rule: str, text: str, topics: Set[TopicRule]) -> bool:
    """A topic rule matches a story on that topic (`topics`: those it is on); others match its text."""
    topic = parse_topic(rule)
    return topic in topics if topic is not None else bool(compile_rule(rule).search(text))


def passes_filters(text: str, include: list[str], exclude: list[str], topics: Set[TopicRule] = frozenset()) -> bool:
    """One include rule at least (when there are any) and no exclude rule match."""
    if include and not any(matches(rule, text, topics) for rule in include):
        return False
    return not any(matches(rule, text, topics) for rule in exclude)


def channel_topics(channel: Channel) -> list[TopicRule]:
    """The topics a channel's filters name."""
    return [topic for rule in [*channel.include, *channel.exclude] if (topic := parse_topic(rule)) is not None]


@dataclass
class ChosenStory:
    story_id: int
    articles: list[Article]  # its articles from the channel's feeds, oldest first
    new: list[Article] = field(default_factory=list)  # an update's articles the channel was not given yet
    told: str | None = None  # an update's story as the channel was told it

    @property
    def is_update(self) -> bool:
        return self.told is not None


async def choose_stories(session: AsyncSession, channel: Channel, topics: Topics | None = None) -> list[ChosenStory]:
    """The channel's next stories, from its feeds, filtered, ranked, at most max_stories: stories not
    posted there yet, and posted ones that have gained articles since (candidate updates).
    `topics` is needed when the channel's filters name topics.

    A first digest (or one after a long pause) covers stories within the story window of the
    newest article.
    """
    # "all" means the feeds of the config file, not feeds other chats' admins added at run time.
    feed_filter = (
        select(Feed.id).where(Feed.from_config.is_(True))
        if channel.feeds is None
        else select(Feed.id).where(Feed.name.in_(channel.feeds))
    )
    newest = await session.scalar(
        select(Article.published_at).where(Article.feed_id.in_(feed_filter)).order_by(Article.published_at.desc()).limit(1)
    )
    if newest is None:
        return []
    told = dict((await session.execute(
        select(PostedStory.story_id, PostedStory.told).where(PostedStory.channel_id == channel.id)
    )).all())
    given = select(PostedArticle.article_id).where(PostedArticle.channel_id == channel.id)
    articles = await session.scalars(
        select(Article)
        .options(selectinload(Article.feed))
        .join(Story, Article.story_id == Story.id)
        .where(Article.feed_id.in_(feed_filter), Story.updated_at >= newest - STORY_WINDOW)
        .order_by(Article.published_at, Article.id)
    )
    given_ids = set(await session.scalars(given))
    by_story: dict[int, list[Article]] = {}
    for article in articles:
        by_story.setdefault(article.story_id, []).append(article)
    chosen = []
    for story_id, members in by_story.items():
        if story_id not in told:
            chosen.append(ChosenStory(story_id, members))
        elif new := [article for article in members if article.id not in given_ids]:
            chosen.append(ChosenStory(story_id, members, new, told[story_id] or ""))
    if named := channel_topics(channel):
        if topics is None:
            raise ValueError(f"channel {channel.chat} filters by topic: choose_stories needs its Topics")
        on_topics = await topics.stories_topics(session, [story.articles for story in chosen], named)
    else:
        on_topics = [set() for _ in chosen]
    kept = [
        story for story, on in zip(chosen, on_topics, strict=True)
        if passes_filters(" ".join(f"{a.title}\n{a.text}" for a in story.articles), channel.include, channel.exclude, on)
        and any(a.title.strip() or a.text.strip() for a in story.articles)  # an empty story takes no place
    ]
    # More outlets first (a bigger story; for an update, more new outlets), then the most recent.
    kept.sort(key=lambda story: (len({a.feed_id for a in story.new or story.articles}),
                                 max(a.published_at for a in story.articles)), reverse=True)
    return kept[: channel.max_stories]
