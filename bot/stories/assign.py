"""Putting newly stored articles into stories (the grouping itself is bot.stories.grouping).

Each article is embedded once, from its title and lead (article_text), and the vector is stored
with the model's id: after a change of model the articles that take part in grouping are
embedded again, and vectors of two models are never compared.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta

import numpy as np
from sqlalchemy import Row, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Turn, wait_for_turn
from bot.store.tables import Article, ArticleVector, Story
from bot.stories.evidence import FEATURES, Features, content_key
from bot.stories.grouping import STORY_WINDOW, Document, assign_stories, calibration_for
from summarizer.embeddings import Embedder, LanguageCentres

log = logging.getLogger(__name__)

# How long one grouping round of the running bot may spend embedding new articles. A first start
# meets a backlog (10,000 articles from 1,000 feeds take a quarter of an hour or more on two
# cores): each round groups its newest part and leaves the rest to the next rounds, so polling
# goes on.
EMBED_TIME_PER_ROUND = timedelta(minutes=2)
# Title and lead: who, what, where and when come first in news prose; quotes and background,
# where reports of one event differ most, come later. About 150 tokens, under a third of the
# model's 512-token limit, and the time to embed grows with the tokens. On the outside pairs of
# bench/story_grouping.py (held out), the cosine of 600 characters groups better than of 1,500
# (F1 0.80 against 0.78), of the title alone (0.74) or of the lead and the next 900 averaged (0.74).
ARTICLE_CHARS = 600
# Articles embedded (and their vectors committed) at a time: a large backlog makes progress in
# steps, the store's write lock is never held while the model runs, and the offline engine's
# working memory, which grows with the texts of a call, stays near 150 MB.
EMBED_BATCH = 32
# Stored vectors the languages' means are estimated from: the newest, so that the means follow what
# the feeds publish now; enough for a few hundred articles of each frequent language.
CENTRE_SAMPLE = 5000
# Ids per IN (...) list: well under every database's limit on bound parameters.
_IDS_PER_QUERY = 500
# What grouping reads of an article: no text (a kilobyte or more each), whose features are cached by title and text digest.
_COLUMNS = (Article.id, Article.title, Article.text_hash, Article.language, Article.published_at, Article.story_id,
            Article.duplicate_of)


def article_text(title: str, text: str, chars: int = ARTICLE_CHARS) -> str:
    """What is embedded of an article: its title, then its text up to `chars` in all."""
    title, body = title.strip(), text.strip()
    body = body.removeprefix(title).lstrip(" \t\n.:-") if title else body  # some feeds repeat the title
    return f"{title}\n{body}"[:chars].strip()


def _chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def article_vectors(
    session: AsyncSession, embedder: Embedder, articles: Sequence[Article], *, budget: timedelta | None = None
) -> dict[int, np.ndarray]:
    """Each article's vector from the embedder's model: stored ones are read, the others
    embedded (off the event loop) and stored, EMBED_BATCH articles and one commit at a time, in
    the given order. Past `budget` of embedding (after one batch at least) the rest are left out."""
    vectors = await stored_vectors(session, embedder.model_id, [article.id for article in articles])
    missing = {article.id: article for article in articles if article.id not in vectors}

    async def texts(ids: Sequence[int]) -> list[str]:
        return [article_text(missing[article_id].title, missing[article_id].text) for article_id in ids]

    async for ids, embedded in _embedded(session, embedder, list(missing), texts, budget):
        vectors.update(zip(ids, embedded))
    return vectors


async def _embed_missing(session: AsyncSession, embedder: Embedder, ids: Sequence[int], *, budget: timedelta | None = None) -> None:
    """Embed and store the articles of `ids` without a vector of the embedder's model, in the given
    order, as article_vectors does; their texts are read a batch at a time, and no vector is kept."""
    stored: set[int] = set()
    for chunk in _chunks(ids, _IDS_PER_QUERY):
        stored.update(await session.scalars(
            select(ArticleVector.article_id).where(ArticleVector.article_id.in_(chunk), ArticleVector.model == embedder.model_id)
        ))

    async def texts(batch: Sequence[int]) -> list[str]:
        rows = await session.execute(select(Article.id, Article.title, Article.text).where(Article.id.in_(batch)))
        by_id = {row.id: article_text(row.title, row.text) for row in rows}
        return [by_id[article_id] for article_id in batch]

    async for _ in _embedded(session, embedder, [article_id for article_id in ids if article_id not in stored], texts, budget):
        pass


async def _embedded(
    session: AsyncSession, embedder: Embedder, missing: Sequence[int],
    texts: Callable[[Sequence[int]], Awaitable[list[str]]], budget: timedelta | None,
) -> AsyncIterator[tuple[Sequence[int], np.ndarray]]:
    """Embed the articles of the `missing` ids EMBED_BATCH at a time (`texts` gives what is
    embedded of a batch), store and commit each batch's vectors, and yield (ids, vectors)."""
    started = time.monotonic()
    for number, ids in enumerate(_chunks(missing, EMBED_BATCH)):
        if budget is not None and number and time.monotonic() - started >= budget.total_seconds():
            log.info("embedded %d of %d new articles; the rest wait for the next round", number * EMBED_BATCH, len(missing))
            break
        embedded = await embedder.aembed(await texts(ids))
        await session.execute(
            delete(ArticleVector).where(ArticleVector.article_id.in_(ids), ArticleVector.model != embedder.model_id)
        )
        # Another process may have stored some of them meanwhile, from the same model and text.
        rows = [{"article_id": article_id, "model": embedder.model_id, "vector": vector}
                for article_id, vector in zip(ids, embedded)]
        await session.execute(_vector_insert(session).on_conflict_do_nothing(), rows)
        await session.commit()
        yield ids, embedded


async def stored_vectors(session: AsyncSession, model_id: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
    vectors: dict[int, np.ndarray] = {}
    for chunk in _chunks(ids, _IDS_PER_QUERY):
        rows = await session.execute(
            select(ArticleVector.article_id, ArticleVector.vector).where(
                ArticleVector.article_id.in_(chunk), ArticleVector.model == model_id
            )
        )
        vectors.update((article_id, vector) for article_id, vector in rows)
    return vectors


def _vector_insert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    # INSERT ... ON CONFLICT is dialect-specific in SQLAlchemy; the store is one of these two.
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert(ArticleVector)


async def language_centres(session: AsyncSession, embedder: Embedder, *, sample: int = CENTRE_SAMPLE) -> LanguageCentres:
    """The mean article vector of each language (summarizer.embeddings.languages), from the newest
    `sample` stored vectors of the embedder's model. Centre article vectors with it before comparing
    them with each other or with other texts: `centres.centre(vectors, languages)`."""
    rows = (await session.execute(
        select(ArticleVector.vector, Article.language)
        .join(Article, Article.id == ArticleVector.article_id)
        .where(ArticleVector.model == embedder.model_id)
        .order_by(ArticleVector.article_id.desc())
        .limit(sample)
    )).all()
    vectors = np.stack([vector for vector, _ in rows]) if rows else np.empty((0, embedder.dimension or 0), np.float32)
    return LanguageCentres.estimate(embedder.model_id, vectors, [language for _, language in rows])


async def _vector_matrix(session: AsyncSession, model_id: str, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of the model for `ids` as one float32 matrix (a row per id, in order;
    zeros where there is none), and which ids have one: read _IDS_PER_QUERY at a time."""
    row_of = {article_id: row for row, article_id in enumerate(ids)}
    matrix: np.ndarray | None = None
    found = np.zeros(len(ids), dtype=bool)
    for chunk in _chunks(ids, _IDS_PER_QUERY):
        rows = await session.execute(
            select(ArticleVector.article_id, ArticleVector.vector).where(
                ArticleVector.article_id.in_(chunk), ArticleVector.model == model_id
            )
        )
        for article_id, vector in rows:
            if matrix is None:
                matrix = np.zeros((len(ids), vector.size), dtype=np.float32)
            matrix[row_of[article_id]] = vector
            found[row_of[article_id]] = True
    return (np.zeros((len(ids), 0), dtype=np.float32) if matrix is None else matrix), found


async def _features(session: AsyncSession, articles: Sequence[Row]) -> list[Features]:
    """The names and numbers of each article (FEATURES), the texts of those not cached read a batch at a time."""
    keys = [content_key(article.title, article.text_hash) for article in articles]
    found = [FEATURES.cached(key) for key in keys]
    missing = [index for index, features in enumerate(found) if features is None]
    for chunk in _chunks(missing, _IDS_PER_QUERY):
        texts = dict((await session.execute(
            select(Article.id, Article.text).where(Article.id.in_([articles[index].id for index in chunk]))
        )).all())
        for index in chunk:
            found[index] = FEATURES.features(articles[index].title, texts[articles[index].id], keys[index])
    return found


async def _documents(session: AsyncSession, articles: Sequence[Row], model_id: str, centres: LanguageCentres) -> list[Document]:
    """The articles with a stored vector of the model, as documents with their language-centred
    vectors (rows of one matrix) and their names and numbers, without their texts."""
    vectors, found = await _vector_matrix(session, model_id, [article.id for article in articles])
    articles = [article for article, has in zip(articles, found, strict=True) if has]
    if not found.all():
        vectors = vectors[found]
    languages = [article.language for article in articles]
    for start in range(0, len(articles), _IDS_PER_QUERY):  # in place: a whole window's offsets at once weigh more than its vectors
        vectors[start : start + _IDS_PER_QUERY] = centres.centre(
            vectors[start : start + _IDS_PER_QUERY], languages[start : start + _IDS_PER_QUERY]
        )
    features = await _features(session, articles)
    return [
        Document(key=a.id, title=a.title, text="", language=a.language, published=a.published_at, vector=vector,
                 features=bags)
        for a, vector, bags in zip(articles, vectors, features, strict=True)
    ]


async def group_new_articles(
    session: AsyncSession, embedder: Embedder, *, window: timedelta = STORY_WINDOW, embed_time: timedelta | None = None
) -> int:
    """Assign the articles without a story, newest first; with `embed_time`, only as many as that
    much embedding allows (the others wait for the next call). Returns how many stories were created.

    Embedding, the slow part, may run in several processes at once; the grouping itself runs in one
    process at a time (Turn.GROUPING), on the articles still without a story when its turn comes, so
    two processes never make two stories of one article. Articles are read as the few columns
    grouping needs, their texts only a batch at a time where a vector or features are missing."""
    pending, recent = await _ungrouped_and_recent(session, window)
    if not pending:
        return 0
    # Story members first and all of them: a story without them would be missed, not joined.
    await _embed_missing(session, embedder, [article.id for article in recent])
    # Ids, not rows: the rows read now are let go when read again below.
    newest_first = [article.id for article in sorted(
        (a for a in pending if a.duplicate_of is None), key=lambda article: (article.published_at, article.id), reverse=True
    )]
    await _embed_missing(session, embedder, newest_first, budget=embed_time)
    await session.commit()

    await wait_for_turn(session, Turn.GROUPING)
    pending, recent = await _ungrouped_and_recent(session, window)
    centres = await language_centres(session, embedder)
    members: dict[int, list[Document]] = {}
    ready: list[Document] = []
    story_of = {article.id: article.story_id for article in recent}
    # Members and new articles in one call: their vectors are rows of one matrix, which grouping reads in place.
    articles = [*recent, *(a for a in pending if a.duplicate_of is None)]
    for document in await _documents(session, articles, embedder.model_id, centres):
        if document.key in story_of:
            members.setdefault(story_of[document.key], []).append(document)
        else:
            ready.append(document)
    del recent, articles  # a window's rows, not needed while grouping
    assignment = await asyncio.to_thread(
        assign_stories, ready, members, window=window, calibration=calibration_for(embedder.model_id)
    )
    _release_freed_memory()
    story_of = dict(assignment.to_existing)  # article id -> story id
    for group in assignment.new_stories:
        story = Story()
        session.add(story)
        await session.flush()
        story_of.update((article_id, story.id) for article_id in group)
    # A copy of an article joins its original's story.
    for article in pending:
        if article.duplicate_of is not None:
            original = story_of.get(article.duplicate_of) or await session.scalar(
                select(Article.story_id).where(Article.id == article.duplicate_of)
            )
            if original is not None:
                story_of[article.id] = original
    if story_of:
        # Only articles still without a story: a story already posted must keep its articles.
        await (await session.connection()).execute(
            update(Article).where(Article.id == bindparam("article"), Article.story_id.is_(None))
            .values(story_id=bindparam("story")),
            [{"article": article_id, "story": story_id} for article_id, story_id in story_of.items()],
        )
    await _touch_stories(session, set(story_of.values()))
    await session.commit()
    return len(assignment.new_stories)


def _release_freed_memory() -> None:
    """Hand the memory grouping freed back to the system (glibc): its arrays, freed in a worker
    thread's arena, would otherwise stay in the process's resident size until the next round."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


async def _ungrouped_and_recent(session: AsyncSession, window: timedelta) -> tuple[list[Row], list[Row]]:
    """The articles without a story, and the story members published within `window` before them:
    the columns grouping needs (_COLUMNS), not their texts."""
    pending = list(await session.execute(select(*_COLUMNS).where(Article.story_id.is_(None)).order_by(Article.id)))
    if not pending:
        return [], []
    oldest = min(a.published_at for a in pending) - window
    recent = list(await session.execute(
        select(*_COLUMNS).where(Article.story_id.is_not(None), Article.duplicate_of.is_(None), Article.published_at >= oldest)
    ))
    return pending, recent


async def _touch_stories(session: AsyncSession, story_ids: set[int]) -> None:
    for story in await session.scalars(select(Story).where(Story.id.in_(story_ids))):
        latest = await session.scalar(
            select(Article.published_at).where(Article.story_id == story.id).order_by(Article.published_at.desc()).limit(1)
        )
        story.updated_at = latest or story.updated_at
