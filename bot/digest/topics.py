"""Topic filters: whether a story is about a topic, by the meaning of its articles.

A topic ('energy and climate') is embedded by the same model as the articles, once per distinct
topic and model; a story is on the topic when one of its articles' stored vectors (title and
lead, bot.stories.assign) has a cosine with it of at least the threshold. The offline model gives
every text one input prefix ("query: ", see summarizer.embeddings.base), so the topic and the
articles' stored vectors are comparable as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import Article
from bot.stories.assign import article_vectors
from summarizer.embeddings import Embedder


class Topics:
    """An embedder's topic vectors, each computed once for the process, and the threshold they match at."""

    def __init__(self, embedder: Embedder, threshold: float) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    async def vectors(self, topics: Iterable[str]) -> dict[str, np.ndarray]:
        """Each topic's unit vector, embedding (off the event loop) only those not seen before."""
        wanted = list(dict.fromkeys(topics))
        model = self.embedder.model_id
        missing = [topic for topic in wanted if (model, topic) not in self._vectors]
        if missing:
            self._vectors.update(((model, topic), vector) for topic, vector in
                                 zip(missing, await self.embedder.aembed(missing), strict=True))
        return {topic: self._vectors[model, topic] for topic in wanted}

    async def stories_topics(
        self, session: AsyncSession, stories: Sequence[Sequence[Article]], topics: Iterable[str]
    ) -> list[set[str]]:
        """For each story (its articles), the topics it is on."""
        topic_vectors = await self.vectors(topics)
        if not topic_vectors or not stories:
            return [set() for _ in stories]
        names = list(topic_vectors)
        # Stored when the articles were grouped; an article without one (a copy) is embedded now, once.
        by_article = await article_vectors(session, self.embedder, [a for story in stories for a in story])
        matrix = np.stack([topic_vectors[name] for name in names])
        found = []
        for story in stories:
            similarity = (np.stack([by_article[a.id] for a in story]) @ matrix.T).max(axis=0)
            found.append({name for name, value in zip(names, similarity, strict=True) if value >= self.threshold})
        return found
