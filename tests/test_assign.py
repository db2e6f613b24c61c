"""group_new_articles: each article embedded once, its vector stored with the model's id."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.store.db import open_store
from bot.store.tables import Article, ArticleVector, Feed, Story
from bot.stories import assign
from bot.stories.assign import EMBED_BATCH, article_text, article_vectors, group_new_articles, language_centres
from summarizer.embeddings import Embedder
from tests.doubles import CountingEmbedder
from tests.store import EVERY_STORE

NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="module")
async def wire(sessions) -> None:
    async with sessions() as session:
        session.add(Feed(name="wire", url="https://example.org/rss"))
        await session.commit()


def on_every_store(test):
    """The test, on SQLite and on PostgreSQL with the feed `wire` stored, on the event loop of `sessions`."""
    return EVERY_STORE(pytest.mark.usefixtures("wire")(pytest.mark.asyncio(loop_scope="module")(test)))


def article(number: int, title: str, text: str, *, duplicate_of: int | None = None, language: str = "en") -> Article:
    return Article(
        id=number, feed_id=1, guid=f"g{number}", title=title, text=text, text_hash=f"h{number}",
        language=language, published_at=NOW + timedelta(minutes=number), duplicate_of=duplicate_of,
    )


async def stored_vectors(session) -> dict[int, tuple[str, np.ndarray]]:
    rows = await session.execute(select(ArticleVector.article_id, ArticleVector.model, ArticleVector.vector))
    return {article_id: (model, vector) for article_id, model, vector in rows}


@on_every_store
async def test_each_article_is_embedded_once_and_stored_with_the_models_id(sessions, tiny_embedder):
    embedder = CountingEmbedder(tiny_embedder)
    async with sessions() as session:
        session.add_all([article(1, "Port strike", "Dock workers walked out."), article(2, "Rate cut", "The bank cut rates.")])
        await session.commit()
        await group_new_articles(session, embedder)
        session.add(article(3, "Port strike ends", "Dock workers went back to work."))
        await session.commit()
        await group_new_articles(session, embedder)
        stored = await stored_vectors(session)
    # Newest first; articles 1 and 2 took part in the second grouping too, from their stored vectors.
    assert embedder.texts == [
        article_text("Rate cut", "The bank cut rates."),
        article_text("Port strike", "Dock workers walked out."),
        article_text("Port strike ends", "Dock workers went back to work."),
    ]
    assert {key: model for key, (model, _) in stored.items()} == dict.fromkeys([1, 2, 3], tiny_embedder.model_id)
    expected = tiny_embedder.embed([article_text("Rate cut", "The bank cut rates.")])[0]
    assert stored[2][1].dtype == np.float32
    np.testing.assert_allclose(stored[2][1], expected, rtol=1e-5, atol=1e-6)


@on_every_store
async def test_a_change_of_model_embeds_again_instead_of_mixing_vectors(sessions, tiny_embedder):
    async with sessions() as session:
        session.add(article(1, "Port strike", "Dock workers walked out."))
        await session.commit()
        await group_new_articles(session, CountingEmbedder(tiny_embedder, "model-a"))
        session.add(article(2, "Port strike ends", "Dock workers went back to work."))
        await session.commit()
        model_b = CountingEmbedder(tiny_embedder, "model-b")
        await group_new_articles(session, model_b)
        stored = await stored_vectors(session)
    # Article 1 is a recent member of a story: compared with article 2, so embedded by model b.
    assert len(model_b.texts) == 2
    assert {key: model for key, (model, _) in stored.items()} == {1: "model-b", 2: "model-b"}


@on_every_store
async def test_copies_are_not_embedded_and_join_their_originals_story(sessions, tiny_embedder):
    embedder = CountingEmbedder(tiny_embedder)
    async with sessions() as session:
        session.add_all([
            article(1, "Port strike", "Dock workers walked out."),
            article(2, "Port strike", "Dock workers walked out.", duplicate_of=1),
        ])
        await session.commit()
        await group_new_articles(session, embedder)
        original, copy = (await session.get(Article, 1)), (await session.get(Article, 2))
        stored = await stored_vectors(session)
    assert len(embedder.texts) == 1 and set(stored) == {1}
    assert copy.story_id == original.story_id is not None


@on_every_store
async def test_a_backlog_is_embedded_and_committed_in_batches(sessions, tiny_embedder):
    embedder = CountingEmbedder(tiny_embedder)
    count = EMBED_BATCH + 3
    async with sessions() as session:
        session.add_all(article(number, f"Report {number}", f"Text number {number}.") for number in range(1, count + 1))
        await session.commit()
        articles = list(await session.scalars(select(Article)))
        vectors = await article_vectors(session, embedder, articles)
    async with sessions() as other:  # committed: another session sees them
        assert len(await stored_vectors(other)) == count
    assert len(vectors) == count and len(embedder.texts) == count


@on_every_store
async def test_a_backlog_is_grouped_newest_first_over_several_rounds(sessions, tiny_embedder, monkeypatch):
    monkeypatch.setattr(assign, "EMBED_BATCH", 2)
    async with sessions() as session:
        session.add_all(article(number, f"Report {number}", f"Text number {number}.") for number in range(1, 6))
        await session.commit()
        grouped = []
        for _ in range(3):
            # No time to spare: each round embeds one batch, the newest articles first.
            await group_new_articles(session, tiny_embedder, embed_time=timedelta(0))
            grouped.append(set(await session.scalars(select(Article.id).where(Article.story_id.is_not(None)))))
    assert grouped == [{4, 5}, {2, 3, 4, 5}, {1, 2, 3, 4, 5}]


def test_what_is_embedded_is_the_title_and_the_lead():
    text = article_text("Port strike", "Port strike. " + "Dock workers walked out on Monday. " * 40)
    assert text.startswith("Port strike\nDock workers walked out")  # the repeated title is dropped
    assert len(text) <= 600


@on_every_store
async def test_language_means_come_from_the_newest_stored_vectors_of_the_model(sessions, tiny_embedder):
    async with sessions() as session:
        session.add_all([
            article(1, "Port strike", "Dock workers walked out."),
            article(2, "Grève au port", "Les dockers ont cessé le travail.", language="fr"),
            article(3, "Rate cut", "The bank cut rates."),
            article(4, "Baisse des taux", "La banque a baissé ses taux.", language="fr"),
        ])
        await session.commit()
        vectors = await article_vectors(session, tiny_embedder, list(await session.scalars(select(Article))))
        session.add(article(5, "Rate rise", "The bank raised rates."))
        await session.flush()
        session.add(ArticleVector(article_id=5, model="another-model", vector=np.ones(vectors[1].size)))
        centres = await language_centres(session, tiny_embedder, sample=3)
        empty = await language_centres(session, CountingEmbedder(tiny_embedder, "unseen-model"))
    # The newest three: articles 4, 3 and 2; the other model's vector is not among them.
    assert centres.model_id == tiny_embedder.model_id and centres.counts == {"fr": 2, "en": 1}
    np.testing.assert_allclose(centres.overall, np.mean([vectors[2], vectors[3], vectors[4]], axis=0), rtol=1e-5)
    assert empty.counts == {}


# Words with no capital and no digit: no names or numbers to share, only meaning.
EVENTS = [a + b + c for a, b, c in itertools.product("bdfgklmnprstvz", "aeiou", "lmnrst")][:100]


class EventsAndLanguages(Embedder):
    """An article's vector says which of EVENTS it tells (its text) and, twice as loud, its language
    (its title): raw, two unrelated articles of one language score 0.8, one event in two 0.2."""

    model_id = "events-and-languages"
    dimension = len(EVENTS) + 2

    def embed(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            language, _, event = text.partition("\n")
            vectors[row, EVENTS.index(event)] = 1.0
            vectors[row, len(EVENTS) + ("en", "ru").index(language)] = 2.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@on_every_store
async def test_one_event_told_in_two_languages_is_one_story_and_a_language_alone_makes_none(sessions):
    """Grouping compares language-centred vectors, the offsets taken from the stored articles:
    every event told in English and in Russian becomes one story of the two, however far the raw
    vectors of one event in two languages lie apart and however close those of one language."""
    async with sessions() as session:
        session.add_all(
            article(number * 2 + side, language, event, language=language)
            for number, event in enumerate(EVENTS, start=1) for side, language in enumerate(("en", "ru"))
        )
        await session.commit()
        await group_new_articles(session, EventsAndLanguages())
        stories = {}
        for article_id, story_id in await session.execute(select(Article.id, Article.story_id)):
            stories.setdefault(story_id, set()).add(article_id)
    assert sorted(map(sorted, stories.values())) == [[number * 2, number * 2 + 1] for number in range(1, 101)]


@pytest.mark.postgres
async def test_processes_grouping_at_once_make_one_story_of_each_article_and_no_empty_story(postgres_url, tiny_embedder):
    engines = [await open_store(postgres_url) for _ in range(3)]  # as three processes' stores
    _, first = engines[0]
    async with first() as session:
        session.add(Feed(name="wire", url="https://example.org/rss"))
        session.add_all(article(n, f"Story {n}", f"Something else happened in town number {n}.") for n in range(1, 13))
        await session.commit()

    async def group(sessions) -> int:
        async with sessions() as session:
            return await group_new_articles(session, CountingEmbedder(tiny_embedder))

    created = await asyncio.gather(*(group(sessions) for _, sessions in engines))
    async with first() as session:
        story_of = dict((await session.execute(select(Article.id, Article.story_id))).all())
        stories = set(await session.scalars(select(Story.id)))
    for engine, _ in engines:
        await engine.dispose()

    assert None not in story_of.values()
    assert stories == set(story_of.values())  # no story left without articles
    assert sum(created) == len(stories)
