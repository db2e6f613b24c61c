"""Topic filters: a story is on a topic when one of its articles means it (bot/digest/topics.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.digest.choose import choose_stories
from bot.digest.topics import Topics
from bot.store.db import open_store
from bot.store.tables import Article, Channel, Feed, Story
from bot.stories.assign import article_text
from bot.usecases.channels import filter_rules
from config.settings import TOPIC_THRESHOLD
from tests.tinymodels import Counting

NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
TRAM = ("Tram line to the airport opens", "The new tram line between the central station and the airport opened.")
STRIKE = ("Harbour cranes return after strike", "Dock workers ended their two-week strike on Monday.")
# The tram article's own text as a topic: its vector is the article's, whatever the (random) model.
TRAM_TOPIC = article_text(*TRAM)


@pytest.fixture
async def sessions(tmp_path):
    engine, sessions = await open_store(f"sqlite+aiosqlite:///{tmp_path}/store.db")
    async with sessions.begin() as session:
        session.add(Feed(id=1, name="wire", url="https://example.org/rss"))
        for number, (title, text) in enumerate([TRAM, STRIKE], start=1):
            session.add(Story(id=number, updated_at=NOW))
            session.add(Article(id=number, feed_id=1, guid=f"g{number}", title=title, text=text, text_hash=f"h{number}",
                                published_at=NOW, story_id=number))
    yield sessions
    await engine.dispose()


@pytest.fixture
def topics(tiny_embedder) -> Topics:
    """The tiny model's topics, with a threshold half way from the strike's cosine with TRAM_TOPIC to the tram's (1)."""
    vectors = tiny_embedder.embed([TRAM_TOPIC, article_text(*STRIKE)])
    strike = float(vectors[0] @ vectors[1])
    # The tiny tokenizer is trained afresh each run, so the cosine varies (0.97-0.995); any clear gap will do.
    assert strike < 0.999, "the tiny model must tell the two articles apart for these tests to mean anything"
    return Topics(Counting(tiny_embedder), (strike + 1) / 2)


async def chosen_titles(sessions, topics: Topics | None, include: list[str], exclude: list[str] = ()) -> list[str]:
    channel = Channel(id=1, chat="@c", language="en", schedule={}, feeds=None, include=include,
                      exclude=list(exclude), max_stories=10)
    async with sessions() as session:
        stories = await choose_stories(session, channel, topics)
    return sorted(story.articles[0].title for story in stories)


async def test_a_topic_keeps_the_stories_on_it_and_drops_the_others(sessions, topics):
    assert await chosen_titles(sessions, topics, [f"topic:{TRAM_TOPIC}"]) == [TRAM[0]]
    assert await chosen_titles(sessions, topics, [], [f"topic:{TRAM_TOPIC}"]) == [STRIKE[0]]
    # Include rules are alternatives: a topic or a keyword.
    assert await chosen_titles(sessions, topics, [f"topic:{TRAM_TOPIC}", "strike"]) == [STRIKE[0], TRAM[0]]


async def test_a_topic_is_embedded_once_and_stored_article_vectors_are_reused(sessions, topics):
    for _ in range(3):
        assert await chosen_titles(sessions, topics, [f"topic:{TRAM_TOPIC}"]) == [TRAM[0]]
    embedded = topics.embedder.texts
    assert embedded.count(TRAM_TOPIC) == 2  # the topic once, the tram article once
    assert embedded.count(article_text(*STRIKE)) == 1


async def test_a_story_matches_from_the_threshold_up(sessions, tiny_embedder):
    vectors = tiny_embedder.embed([TRAM_TOPIC, article_text(*STRIKE)])
    strike = float(vectors[0] @ vectors[1])
    assert await chosen_titles(sessions, Topics(tiny_embedder, strike + 1e-4), [f"topic:{TRAM_TOPIC}"]) == [TRAM[0]]
    assert await chosen_titles(sessions, Topics(tiny_embedder, strike - 1e-4), [f"topic:{TRAM_TOPIC}"]) == [
        STRIKE[0], TRAM[0]
    ]


async def test_topic_filters_need_the_embedder(sessions):
    with pytest.raises(ValueError, match="filters by topic"):
        await chosen_titles(sessions, None, ["topic:trams"])
    assert await chosen_titles(sessions, None, ["tram"]) == [TRAM[0]]  # keywords alone do not


def test_a_topic_in_filters_takes_the_words_up_to_the_next_rule():
    words = "+topic:energy and climate -rugby +/sol(ar|aire)/ -Topic: «ice hockey» clear".split()
    assert filter_rules(words) == [
        "+topic:energy and climate", "-rugby", "+/sol(ar|aire)/", "-Topic: «ice hockey» clear",
    ]


@pytest.mark.slow
def test_the_offline_model_tells_topics_apart_at_the_documented_threshold():
    from bench.topics import measure

    result = measure(threads=1)
    rows = {row["threshold"]: row for row in result["rows"]}
    chosen = rows[TOPIC_THRESHOLD]
    assert chosen["precision"] >= 0.8 and chosen["recall"] >= 0.85, chosen
    assert chosen["f1"] == max(row["f1"] for row in rows.values())  # the threshold is still the best measured
