"""Topic filters: a story is on a topic when one of its articles is nearer it than the other topics
of the news, whatever the article's language and the words' (bot/digest/topics.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
import pytest_asyncio

from bot.digest.choose import choose_stories
from bot.digest.contrast_topics import CONTRAST_TOPICS
from bot.digest.topics import Topics
from bot.store.tables import Article, Channel, Feed, Story
from bot.stories.assign import article_text
from bot.usecases.channels import filter_rules
from config.filters import TopicRule, checked_rule, parse_topic
from config.settings import ChannelSettings
from summarizer.embeddings import Embedder

NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
LANGUAGES = list(CONTRAST_TOPICS)
SUBJECTS = [*CONTRAST_TOPICS["en"], "public transport"]
SPORTS, POLITICS, CRIME = (SUBJECTS.index(name) for name in ("sports", "politics and elections", "crime and courts"))
TRANSPORT = SUBJECTS.index("public transport")
# What a text's language adds to its vector: far more than what it says, as in multilingual-e5.
LANGUAGE_WEIGHT = 2.0


def meaning(subjects: dict[int, float], language: str) -> np.ndarray:
    vector = np.zeros(len(SUBJECTS) + len(LANGUAGES), dtype=np.float32)
    for subject, weight in subjects.items():
        vector[subject] = weight
    vector[len(SUBJECTS) + LANGUAGES.index(language)] = LANGUAGE_WEIGHT
    return vector / np.linalg.norm(vector)


class Meanings(Embedder):
    """Vectors made of what a text is about and a large part for its language; counts what it embeds."""

    model_id = "meanings"
    dimension = len(SUBJECTS) + len(LANGUAGES)

    def __init__(self, articles: dict[str, np.ndarray]) -> None:
        self.known = dict(articles)
        for language, phrases in CONTRAST_TOPICS.items():
            self.known.update((phrase, meaning({i: 1.0}, language)) for i, phrase in enumerate(phrases))
        self.known["public transport"] = meaning({TRANSPORT: 1.0}, "en")
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return np.stack([self.known[text] for text in texts]) if texts else np.empty((0, self.dimension), np.float32)


# (title, text, language, what it is about)
ARTICLES = [
    ("Late penalty sends Leeds up", "Leeds won the play-off final 2-1 at Wembley.", "en", {SPORTS: 1.0}),
    ("Bayern verspielt Führung", "Bayern München spielte nur 2:2 gegen Leverkusen.", "de", {SPORTS: 1.0}),
    ("Senate passes voting bill", "The Senate approved early voting for federal elections.", "en", {POLITICS: 1.0}),
    ("Landtagswahl: CDU knapp vorn", "Die CDU wurde mit 31,2 Prozent stärkste Kraft.", "de", {POLITICS: 1.0}),
    ("Суд приговорил замминистра", "Бывший замминистра получил 12 лет за взятки.", "ru", {CRIME: 1.0}),
    # About an election and sport alike: a loose sports filter takes it, a normal or strict one does not.
    ("Minister of sport elected mayor", "The former minister of sport won the mayoral election.", "en",
     {POLITICS: 1.0, SPORTS: 1.04}),
    ("Tramvaj na letiště jezdí", "Nová tramvajová linka na letiště zahájila provoz.", "cs", {TRANSPORT: 1.0}),
    # A consent page: whatever its vector says, it is on no topic.
    ("Before you continue", "We value your privacy. Accept all. Reject all. Manage options.", "en", {SPORTS: 1.0}),
]


@pytest_asyncio.fixture(loop_scope="module")
async def stored(sessions) -> None:
    async with sessions.begin() as session:
        session.add(Feed(id=1, name="wire", url="https://example.org/rss"))
        for number, (title, text, language, _) in enumerate(ARTICLES, start=1):
            session.add(Story(id=number, updated_at=NOW))
            session.add(Article(id=number, feed_id=1, guid=f"g{number}", title=title, text=text, text_hash=f"h{number}",
                                language=language, published_at=NOW, story_id=number))


def with_stories(test):
    """The test, with ARTICLES stored as stories, on the event loop of `sessions`."""
    return pytest.mark.usefixtures("stored")(pytest.mark.asyncio(loop_scope="module")(test))


@pytest.fixture
def embedder() -> Meanings:
    return Meanings({article_text(title, text): meaning(about, language) for title, text, language, about in ARTICLES})


async def chosen_titles(sessions, topics: Topics | None, include: list[str], exclude: list[str] = ()) -> list[str]:
    channel = Channel(id=1, chat="@c", language="en", schedule={}, feeds=None, max_stories=10,
                      include=[checked_rule(r) for r in include], exclude=[checked_rule(r) for r in exclude])
    async with sessions() as session:
        stories = await choose_stories(session, channel, topics)
    return sorted(story.articles[0].title for story in stories)


@with_stories
async def test_a_topic_finds_its_stories_in_every_language_and_in_words_of_any_language(sessions, embedder):
    topics = Topics(embedder)
    sports = ["Bayern verspielt Führung", "Late penalty sends Leeds up"]
    assert await chosen_titles(sessions, topics, ["topic:sports"]) == sports
    assert await chosen_titles(sessions, topics, ["topic:Sport"]) == sports  # German words
    assert await chosen_titles(sessions, topics, ["topic:спорт"]) == sports  # Russian words
    assert await chosen_titles(sessions, topics, ["topic:преступность и суды"]) == ["Суд приговорил замминистра"]
    # A topic beside the contrast topics: the Czech tram, which no contrast topic is nearer.
    assert await chosen_titles(sessions, topics, ["topic:public transport"]) == ["Tramvaj na letiště jezdí"]


@with_stories
async def test_exclude_topics_and_strictness(sessions, embedder):
    topics = Topics(embedder, margin=0.02)  # the mixed story is 0.028 below politics for sports
    kept = await chosen_titles(sessions, topics, [], ["topic:sports", "topic:politics and elections"])
    assert kept == ["Before you continue", "Tramvaj na letiště jezdí", "Суд приговорил замминистра"]
    assert "Minister of sport elected mayor" in await chosen_titles(sessions, topics, ["topic(loose):sports"])
    assert "Minister of sport elected mayor" not in await chosen_titles(sessions, topics, ["topic:sports"])
    assert "Minister of sport elected mayor" not in await chosen_titles(sessions, topics, ["topic(strict):sports"])


@with_stories
async def test_a_consent_page_is_on_no_topic(sessions, embedder):
    assert "Before you continue" not in await chosen_titles(sessions, Topics(embedder), ["topic(loose):sports"])


@with_stories
async def test_topic_words_and_contrast_topics_are_embedded_once_and_stored_vectors_reused(sessions, embedder):
    topics = Topics(embedder)
    for _ in range(3):
        await chosen_titles(sessions, topics, ["topic:sports"])
    assert embedder.texts.count("sports") == 1
    assert embedder.texts.count(article_text(*ARTICLES[0][:2])) == 1


@with_stories
async def test_topic_filters_need_the_embedder(sessions):
    with pytest.raises(ValueError, match="filters by topic"):
        await chosen_titles(sessions, None, ["topic:trams"])
    assert await chosen_titles(sessions, None, ["Leeds"]) == ["Late penalty sends Leeds up"]  # keywords alone do not


def test_a_topic_in_filters_takes_the_words_up_to_the_next_rule():
    words = "+topic:energy and climate -rugby +/sol(ar|aire)/ -Topic(strict): «ice hockey» clear".split()
    assert filter_rules(words) == [
        "+topic:energy and climate", "-rugby", "+/sol(ar|aire)/", "-Topic(strict): «ice hockey» clear",
    ]
    assert checked_rule("Topic(STRICT): «ice hockey»") == "topic(strict):ice hockey"
    assert parse_topic("topic(loose):trams") == TopicRule("trams", "loose")
    assert parse_topic("topics") is None


def test_a_channel_sets_the_strictness_of_its_topics_and_a_topic_its_own():
    channel = ChannelSettings(chat="@c", topic_strictness="strict", include=[
        {"topic": "sports"}, "topic:football", {"topic": "tennis", "strictness": "loose"}, "topic(normal):golf", "golf",
    ])
    assert channel.include == [
        "topic(strict):sports", "topic(strict):football", "topic(loose):tennis", "topic:golf", "golf",
    ]
    with pytest.raises(ValueError, match="strictness"):
        ChannelSettings(chat="@c", include=[{"topic": "sports", "strictness": "very"}])


@pytest.mark.slow
def test_the_offline_model_finds_topics_in_every_language_held_out():
    from bench.topics import measure

    result = measure(threads=1)
    english = result["en"]
    assert english["micro"]["f1"] >= 0.85, english["micro"]
    assert min(english["recall_per_language"].values()) >= 0.75, english["recall_per_language"]
    for other in ("de", "ru"):
        assert result[other]["micro"]["f1"] >= english["micro"]["f1"] - 0.05, (other, result[other]["micro"])
    assert all(result[language]["pages_on_a_topic"] == 0 for language in ("en", "de", "ru"))
