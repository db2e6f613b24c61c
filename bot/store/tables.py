"""The database schema: what was fetched, grouped, summarised and posted."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import (
    JSON,
    REAL,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from config.settings import FeedSettings

# Feeds added without an interval (at run time, by users) are polled as often as config feeds by default.
FEED_INTERVAL = FeedSettings.model_fields["interval"].default
FEED_NAME_CHARS = 200


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Vector(TypeDecorator):
    """A float32 vector: a blob on SQLite, real[] on PostgreSQL; numpy arrays in and out."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(REAL))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: np.ndarray | None, dialect):
        if value is None:
            return None
        vector = np.asarray(value, dtype=np.float32)
        if vector.ndim != 1:
            raise ValueError(f"a stored vector has one dimension, not {vector.ndim}")
        return vector.tolist() if dialect.name == "postgresql" else vector.tobytes()

    def process_result_value(self, value, dialect) -> np.ndarray | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return np.asarray(value, dtype=np.float32)
        return np.frombuffer(value, dtype=np.float32)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(FEED_NAME_CHARS), unique=True)
    url: Mapped[str] = mapped_column(Text)
    interval: Mapped[int] = mapped_column(Integer, default=FEED_INTERVAL)  # seconds
    from_config: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    articles: Mapped[list[Article]] = relationship(back_populates="feed")


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Latest publication time among its articles: ranks digests and bounds the grouping window.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    articles: Mapped[list[Article]] = relationship(back_populates="story", order_by="Article.published_at")


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid", name="uq_article_feed_guid"),
        Index("ix_articles_canonical_url", "canonical_url"),
        Index("ix_articles_text_hash", "text_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    text_hash: Mapped[str] = mapped_column(String(64))
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # near-duplicate detection
    language: Mapped[str | None] = mapped_column(String(8))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why the text is only the feed's teaser, when the full page could not be had.
    extract_error: Mapped[str | None] = mapped_column(Text)
    # Set when the same text already came from another feed: kept as a source, not re-summarised.
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"), index=True)

    feed: Mapped[Feed] = relationship(back_populates="articles")
    story: Mapped[Story | None] = relationship(back_populates="articles")


class ArticleVector(Base):
    """An article's embedding, with the model it came from: a vector of another model than the
    current one is replaced, never compared."""

    __tablename__ = "article_vectors"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(300))
    vector: Mapped[np.ndarray] = mapped_column(Vector)


class SimhashBand(Base):
    """Slices of an article's SimHash, indexed so near-duplicates are found without a scan."""

    __tablename__ = "simhash_bands"
    __table_args__ = (Index("ix_simhash_bands_band_value", "band", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    band: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)


class SummaryRecord(Base):
    """Cache of model output, keyed by what determines it: source texts, model and language."""

    __tablename__ = "summaries"
    __table_args__ = (UniqueConstraint("source_hash", "model", "language", "max_chars", name="uq_summary_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    max_chars: Mapped[int] = mapped_column(Integer)
    headline: Mapped[str | None] = mapped_column(Text)  # None: not generated yet; "": none worth using
    summary: Mapped[str] = mapped_column(Text)
    summary_language: Mapped[str] = mapped_column(String(8))
    source_language: Mapped[str] = mapped_column(String(8))
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TranslationRecord(Base):
    """Cache of the model's translation of one sentence, and of the check's verdict on it."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("source_hash", "model", "language", name="uq_translation_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_hash: Mapped[str] = mapped_column(String(64))  # of the source sentence and its language
    model: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8))
    rendering: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # why it was refused; [] when it passed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Channel(Base):
    __tablename__ = "channels"
    # A channel is where its digests go: a Telegram chat (or one topic of a forum group), a Matrix room.
    __table_args__ = (UniqueConstraint("platform", "chat", "topic", name="uq_channel_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    # Telegram: "@name" or numeric id as text; Matrix: the room id.
    chat: Mapped[str] = mapped_column(String(200))
    # A forum group's topic (Telegram's message_thread_id); 0: the chat itself. Not NULL, so that
    # the address stays unique.
    topic: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # "per_feed": each feed's stories go to a forum topic of their own (ForumTopic); None: one place.
    topics: Mapped[str | None] = mapped_column(String(16))
    # Set from config.settings.ChannelSettings (store.queries.channel_fields), where the defaults are.
    language: Mapped[str] = mapped_column(String(8))
    schedule: Mapped[dict] = mapped_column(JSON)  # {"at"|"cron", "timezone"}
    feeds: Mapped[list[str] | None] = mapped_column(JSON)  # None = all feeds
    include: Mapped[list[str]] = mapped_column(JSON)
    exclude: Mapped[list[str]] = mapped_column(JSON)
    max_stories: Mapped[int] = mapped_column(Integer)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)  # told when posting fails for good
    from_config: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the digest job last finished for the channel (with or without stories): a digest time
    # that passed while the bot was down is caught up at start.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ForumTopic(Base):
    """The forum topic the bot created in a channel's group for one feed (channels with topics: per_feed)."""

    __tablename__ = "forum_topics"
    __table_args__ = (UniqueConstraint("channel_id", "feed", name="uq_forum_topic_feed"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    feed: Mapped[str] = mapped_column(String(FEED_NAME_CHARS))
    thread_id: Mapped[int] = mapped_column(BigInteger)  # Telegram's message_thread_id


class Digest(Base):
    """One digest for one channel: the stories it carries and its messages in the outbox."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[OutboxMessage]] = relationship(back_populates="digest", order_by="OutboxMessage.position")


class PostedStory(Base):
    """A story counts as posted in a channel once its digest is created: it is never chosen again as
    a new story, only as an update when it gains sources with something new."""

    __tablename__ = "posted_stories"
    __table_args__ = (UniqueConstraint("channel_id", "story_id", name="uq_posted_story"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    # What the channel was told of the story (its item's text, then its updates'): what is new is
    # measured against it.
    told: Mapped[str | None] = mapped_column(Text)


class PostedArticle(Base):
    """An article a channel has been given: in its story's item, an update, or an update that had
    nothing new to say (then without a digest)."""

    __tablename__ = "posted_articles"
    __table_args__ = (UniqueConstraint("channel_id", "article_id", name="uq_posted_article"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # The feed whose forum topic the message goes to, in a channel with topics: per_feed.
    feed: Mapped[str | None] = mapped_column(String(FEED_NAME_CHARS))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=func.now())

    digest: Mapped[Digest] = relationship(back_populates="messages")
    # A sender claims a message before sending it, so two bot processes never send it twice;
    # the claim lapses at claimed_until, so a message claimed by a process that died is sent later.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """A Telegram user's choices: the language the bot answers and summarises in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Telegram user id
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
