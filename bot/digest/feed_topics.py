"""A digest for a channel with `topics: per_feed`: each feed's stories in messages of their own, for its forum topic."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.digest.choose import ChosenStory
from bot.digest.items import DigestItem
from bot.store.tables import Channel

PER_FEED = "per_feed"


def rendered_messages(
    render: Callable[[Sequence[DigestItem], str], list[str]], channel: Channel, chosen: Sequence[ChosenStory],
    items: Sequence[DigestItem],
) -> tuple[list[str], list[str]]:
    """The digest's messages and, with topics per feed, the feed each one is for (else none).

    A story belongs to the feed of its oldest article among the channel's feeds, so its updates
    go to the topic its first item went to."""
    if channel.topics != PER_FEED:
        return render(items, channel.language), []
    feed_of = {story.story_id: story.articles[0].feed.name for story in chosen}
    by_feed: dict[str, list[DigestItem]] = {}
    for item in items:
        by_feed.setdefault(feed_of[item.story_id], []).append(item)
    messages: list[str] = []
    feeds: list[str] = []
    for feed, feed_items in by_feed.items():
        texts = render(feed_items, channel.language)
        messages += texts
        feeds += [feed] * len(texts)
    return messages, feeds
