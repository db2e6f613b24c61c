"""The one typed settings object: YAML file first, then `BRIEFBOT_` environment overrides."""

from __future__ import annotations

import os
import re
from datetime import time as dtime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.filters import STRICTNESS, checked_rule, parse_topic, topic_rule
from config.model_settings import EmbeddingSettings, ModelSettings, TranslationSettings, TrustSettings
from config.schedule import digest_trigger
from config.strict import Strict


class ConfigError(Exception):
    """A config problem explained in one line (key and file named)."""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int | float) -> int:
    """'15m' -> 900 seconds; plain numbers are seconds."""
    if isinstance(value, (int, float)):
        return int(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 15m, 2h)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class StorageSettings(Strict):
    url: str = "sqlite+aiosqlite:///data/briefbot.db"


class TelegramSettings(Strict):
    token: str | None = None
    base_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    admins: list[int] = Field(default_factory=list)


class MatrixSettings(Strict):
    """The bot's Matrix account, for channels with `platform: matrix`."""

    homeserver: str | None = None  # e.g. https://matrix.example.org
    access_token: str | None = None  # or env BRIEFBOT_MATRIX__ACCESS_TOKEN

    @field_validator("homeserver")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"matrix.homeserver must be an http(s):// URL, got {value!r}")
        return value


class DiscordSettings(Strict):
    """The bot's Discord account, for Discord channels named by channel_id instead of a webhook."""

    bot_token: str | None = None  # better in env BRIEFBOT_DISCORD__BOT_TOKEN
    api_url: str = "https://discord.com/api/v10"


class SlackSettings(Strict):
    """The bot's Slack app, for Slack channels named by channel_id instead of an incoming webhook."""

    bot_token: str | None = None  # xoxb-…; better in env BRIEFBOT_SLACK__BOT_TOKEN
    api_url: str = "https://slack.com/api/"


# A Matrix room id: '!opaque:server', or '!opaque' from room version 12 on (an alias '#name:server' is not an id).
_MATRIX_ROOM = re.compile(r"^![^:\s]+(:[^\s]+)?$")


# Webhook URLs (on discord.com and hooks.slack.com, or a test server's address), with the part that
# names a webhook without its secret.
_WEBHOOKS = {
    "discord": (re.compile(r"^https?://[^/\s]+/api(/v\d+)?/webhooks/(?P<id>\d+)/[\w-]+/?$"),
                "https://discord.com/api/webhooks/<id>/<token>"),
    "slack": (re.compile(r"^https?://[^/\s]+/services/T\w+/(?P<id>B\w+)/\w+/?$"),
              "https://hooks.slack.com/services/T…/B…/…"),
}


# Channel ids, for channels posted to as the bot: Discord's are numbers, Slack's start with C (or G).
_CHANNEL_IDS = {
    "discord": (re.compile(r"\d{15,21}"), "123456789012345678"),
    "slack": (re.compile(r"[CG][A-Z0-9]{8,}"), "C0123ABCDEF"),
}


class ServerSettings(Strict):
    host: str = "127.0.0.1"
    port: int = 8080


class LogSettings(Strict):
    """How `bot run` logs: text for a terminal, json (one object a line) for a log collector."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class RunSettings(Strict):
    """`bot run`'s part when several processes share a PostgreSQL database (`--role` overrides it)."""

    # worker: feeds, summaries, digests and the outbox, but no Telegram updates: Telegram hands them
    # to one process per token, so only one process (all or receiver) should ask. receiver: the
    # updates (commands, /summarize) and the outbox, but no feed polling and no scheduled digests.
    role: Literal["all", "worker", "receiver"] = "all"


class SecuritySettings(Strict):
    allow_private_urls: bool = False


class FetchSettings(Strict):
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot; self-hosted news digest bot)"
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    # Seconds one feed or page fetch may take from first request to last byte, redirects and retries
    # included (time queued behind other requests to the same host is not counted).
    total_timeout: float = Field(default=60.0, gt=0)
    max_bytes: int = Field(default=5_000_000, ge=10_000)  # per response, after decompression
    max_redirects: int = Field(default=5, ge=0)
    retries: int = Field(default=2, ge=0)
    per_host: int = Field(default=2, ge=1)  # requests in flight to one host
    host_delay: float = Field(default=1.0, ge=0)  # seconds between requests to one host
    concurrency: int = Field(default=32, ge=1)  # requests in flight overall
    parse_workers: int = Field(default=0, ge=0)  # processes that parse feeds and pages; 0: one per CPU core
    parse_timeout: float = Field(default=60.0, gt=0)  # seconds one feed or page may take to parse


class FeedSettings(Strict):
    name: str
    url: str
    interval: int = 900

    @field_validator("interval", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        return parse_duration(value)

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if not re.match(r"^(https?://|file:)", value):
            raise ValueError(f"feed url must be http(s):// or file:, got {value!r}")
        return value


class DigestSchedule(Strict):
    at: str | None = None
    cron: str | None = None
    timezone: str = "UTC"

    @field_validator("at")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dtime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"digest.at must be HH:MM, got {value!r}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_of(self) -> "DigestSchedule":
        if (self.at is None) == (self.cron is None):
            raise ValueError("digest needs exactly one of 'at' or 'cron'")
        if self.cron is not None:
            digest_trigger(self.model_dump(exclude_none=True))  # ValueError names the bad field
        return self


def _filter_rule(entry: Any, strictness: str) -> str:
    """A config filter entry as stored: 'keyword', '/regex/' or {topic: words} ('topic:words'); a
    topic without a strictness of its own takes the channel's."""
    if isinstance(entry, dict):
        if not {"topic"} <= set(entry) <= {"topic", "strictness"} or not isinstance(entry["topic"], str):
            raise ValueError(f"a filter is a keyword, a /regex/ or {{topic: words}}, got {entry!r}")
        return topic_rule(entry["topic"], entry.get("strictness", strictness))
    if not isinstance(entry, str):
        raise ValueError(f"a filter is a keyword, a /regex/ or {{topic: words}}, got {entry!r}")
    topic = parse_topic(entry)
    if topic is not None and not entry.lower().startswith("topic("):
        return topic_rule(topic.words, strictness)
    return checked_rule(entry)


class ChannelSettings(Strict):
    platform: Literal["telegram", "matrix", "discord", "slack"] = "telegram"
    # Telegram: "@name" or a numeric chat id. Set for the others: the Matrix room, "discord:<webhook id>",
    # "slack:<webhook id>", or "discord:channel:<id>", "slack:channel:<id>" for a channel_id.
    chat: str | None = None
    topic: int | None = Field(default=None, ge=1)  # Telegram: a forum group's topic (message thread id)
    # Telegram: per_feed posts each feed's stories into a forum topic of its own, created when missing.
    topics: Literal["per_feed"] | None = None
    room: str | None = None  # Matrix: the room id, "!opaque:server" (or "!opaque")
    webhook_url: str | None = None  # Discord, Slack: the channel's webhook (it holds the webhook's secret)
    # Discord, Slack: a channel the bot posts to with its bot_token (discord: or slack:), instead of a webhook.
    channel_id: str | None = None
    language: str = "en"
    digest: DigestSchedule = Field(default_factory=lambda: DigestSchedule(at="08:00"))
    feeds: Literal["all"] | list[str] = "all"
    # How closely a story must be about the channel's topics, unless a topic names its own.
    topic_strictness: Literal[STRICTNESS] = "normal"  # type: ignore[valid-type]
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    max_stories: int = Field(default=10, ge=1, le=50)

    @field_validator("chat", "channel_id", mode="before")
    @classmethod
    def _chat_as_text(cls, value: Any) -> str | None:
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _address(self) -> "ChannelSettings":
        """Where the digests go, in `chat` for every platform (a Matrix room's id, a webhook's)."""
        if self.webhook_url is not None and self.platform not in _WEBHOOKS:
            raise ValueError("webhook_url is for Discord and Slack channels (platform: discord or slack)")
        if self.channel_id is not None and self.platform not in _CHANNEL_IDS:
            raise ValueError("channel_id is for Discord and Slack channels (platform: discord or slack)")
        if self.channel_id is not None:
            name = self.platform.title()
            if self.webhook_url is not None:
                raise ValueError(f"a {name} channel names a webhook_url or a channel_id, not both")
            pattern, example = _CHANNEL_IDS[self.platform]
            if not pattern.fullmatch(self.channel_id):
                raise ValueError(f"channel_id must be a {name} channel id like {example}, got {self.channel_id!r}")
            if self.chat is not None or self.room is not None or self.topic is not None or self.topics is not None:
                raise ValueError(f"a {name} channel names only its channel_id")
            self.chat = f"{self.platform}:channel:{self.channel_id}"
        elif self.platform in _WEBHOOKS:
            pattern, example = _WEBHOOKS[self.platform]
            webhook = pattern.match(self.webhook_url or "")
            if webhook is None:
                raise ValueError(f"a {self.platform.title()} channel needs webhook_url: {example} "
                                 f"(or channel_id, posted to with {self.platform}.bot_token)")
            if self.chat is not None or self.room is not None or self.topic is not None or self.topics is not None:
                raise ValueError(f"a {self.platform.title()} channel names only its webhook_url")
            self.chat = f"{self.platform}:{webhook['id']}"
        elif self.platform == "matrix":
            if self.topic is not None or self.topics is not None:
                raise ValueError("topic and topics are for Telegram forum groups; a Matrix channel names only its room")
            if self.room is None:
                raise ValueError("a Matrix channel needs room: '!id:server'")
            if not _MATRIX_ROOM.match(self.room):
                raise ValueError(f"room must be a Matrix room id like '!abc:example.org', got {self.room!r}")
            if self.chat not in (None, self.room):
                raise ValueError("a Matrix channel names its room, not a chat")
            self.chat = self.room
        elif self.room is not None:
            raise ValueError("room is for Matrix channels (platform: matrix)")
        elif not self.chat:
            raise ValueError("a Telegram channel needs chat: '@name' or a chat id")
        elif self.topic is not None and self.topics is not None:
            raise ValueError("a channel names one topic or topics: per_feed, not both")
        return self

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _rules(cls, value: Any, info: ValidationInfo) -> Any:
        strictness = info.data.get("topic_strictness", "normal")
        return [_filter_rule(entry, strictness) for entry in value] if isinstance(value, list) else value

    @field_validator("language")
    @classmethod
    def _iso_639_1(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2}", value):
            raise ValueError(f"language must be an ISO 639-1 code like 'en', got {value!r}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIEFBOT_", env_nested_delimiter="__", extra="forbid"
    )

    storage: StorageSettings = Field(default_factory=StorageSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    trust: TrustSettings = Field(default_factory=TrustSettings)
    translation: TranslationSettings = Field(default_factory=TranslationSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    log: LogSettings = Field(default_factory=LogSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    feeds: list[FeedSettings] = Field(default_factory=list)
    channels: list[ChannelSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _feed_names(self) -> "Settings":
        names = [feed.name for feed in self.feeds]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"feed names must be unique: {', '.join(duplicated)}")
        for channel in self.channels:
            if channel.feeds != "all":
                unknown = [name for name in channel.feeds if name not in names]
                if unknown:
                    raise ValueError(f"channel {channel.chat} lists unknown feeds: {', '.join(unknown)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the YAML file (passed as init kwargs).
        return env_settings, init_settings


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if error["type"] == "missing":
        return f"missing key '{key}'"
    message = error["msg"].removeprefix("Value error, ")
    return f"key '{key}': {message}"


def load_settings(path: str | Path | None = None) -> Settings:
    """Read a YAML config (optional) and the environment; raise ConfigError with one clear line."""
    data: dict[str, Any] = {}
    source = str(path) if path else "environment"
    if path is not None:
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
        try:
            loaded = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}: not valid YAML{where}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys")
        data = loaded or {}
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None
    if not settings.telegram.token:
        token = _telegram_token_from_env()
        if token:
            settings.telegram.token = token
    return settings


def _telegram_token_from_env() -> str | None:
    # DESIGN: the token may also come from the conventional TELEGRAM_BOT_TOKEN variable.
    return os.environ.get("TELEGRAM_BOT_TOKEN")
