from pathlib import Path

import pytest

from config.settings import ConfigError, load_settings, parse_duration

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "briefbot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_and_example_configs_load():
    demo = load_settings(REPO / "config" / "demo.yaml")
    assert len(demo.feeds) >= 3 and demo.channels[0].language == "en"
    example = load_settings(REPO / "config" / "example.yaml")
    assert example.channels


def test_filters_take_topics_beside_keywords_and_regexes(tmp_path):
    path = write(tmp_path, (
        "channels:\n  - chat: '@c'\n"
        "    include: [{topic: '  energy   and climate '}, solar, '/wind ?farms?/']\n"
        "    exclude: [{topic: football}, 'topic:ice hockey']\n"
    ))
    [channel] = load_settings(path).channels
    # Stored as text, as /filters writes them: the store keeps lists of strings.
    assert channel.include == ["topic:energy and climate", "solar", "/wind ?farms?/"]
    assert channel.exclude == ["topic:football", "topic:ice hockey"]


def test_feed_interval_accepts_durations():
    assert parse_duration("15m") == 900 and parse_duration("2h") == 7200 and parse_duration(30) == 30


def test_unknown_key_is_named_with_the_file(tmp_path):
    path = write(tmp_path, "storage:\n  ulr: sqlite+aiosqlite:///x.db\n")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert str(error.value) == f"{path}: unknown key 'storage.ulr'"


def test_missing_key_is_named(tmp_path):
    path = write(tmp_path, "feeds:\n  - url: https://example.org/rss\n")
    with pytest.raises(ConfigError, match=r"missing key 'feeds\.0\.name'"):
        load_settings(path)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("channels:\n  - chat: '@c'\n    digest: {at: '25:00'}\n", "digest.at must be HH:MM"),
        ("channels:\n  - chat: '@c'\n    digest: {at: '08:00', timezone: Mars/Olympus}\n", "unknown time zone"),
        ("channels:\n  - chat: '@c'\n    language: english\n", "ISO 639-1"),
        ("channels:\n  - chat: '@c'\n    digest: {cron: '0 8 * * 1-9'}\n", "not a day of the week"),
        ("feeds:\n  - {name: a, url: ftp://x/rss}\n", "http(s):// or file:"),
        ("feeds:\n  - {name: a, url: 'https://x/1'}\n  - {name: a, url: 'https://x/2'}\n", "feed names must be unique"),
        ("model: {backend: openai}\n", "needs model.base_url"),
        ("channels:\n  - chat: '@c'\n    include: [{topik: energy}]\n",
         "key 'channels.0.include': a filter is a keyword, a /regex/ or {topic: words}, got {'topik': 'energy'}"),
        ("channels:\n  - chat: '@c'\n    exclude: [{topic: '  '}]\n", "a topic needs words"),
        ("channels:\n  - chat: '@c'\n    include: ['/sol(ar/']\n", "/sol(ar/ is not a valid regular expression"),
        ("embeddings: {topic_threshold: 1.5}\n", "key 'embeddings.topic_threshold'"),
        ("feeds: [}\n", "not valid YAML at line 1"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("channels:\n  - {platform: matrix, room: '#news:example.org'}\n", "room must be a Matrix room id"),
        ("channels:\n  - {platform: matrix}\n", "a Matrix channel needs room"),
        ("channels:\n  - {chat: '@c', room: '!a:b.org'}\n", "room is for Matrix channels"),
        ("channels:\n  - {chat: '-100123', topic: 0}\n", "key 'channels.0.topic'"),
        ("channels:\n  - {chat: '-100123', topics: per_topic}\n", "key 'channels.0.topics'"),
        ("channels:\n  - {chat: '-100123', topic: 7, topics: per_feed}\n", "one topic or topics: per_feed, not both"),
        ("channels:\n  - {platform: matrix, room: '!a:b.org', topics: per_feed}\n",
         "topic and topics are for Telegram forum groups"),
        ("matrix: {homeserver: matrix.example.org}\n", "matrix.homeserver must be an http(s):// URL"),
        ("channels:\n  - {platform: discord, webhook_url: 'https://discord.com/channels/1/2'}\n",
         "a Discord channel needs webhook_url: https://discord.com/api/webhooks/<id>/<token>"),
        ("channels:\n  - {chat: '@c', webhook_url: 'https://discord.com/api/webhooks/1/t'}\n",
         "webhook_url is for Discord and Slack channels"),
        ("channels:\n  - {platform: slack, webhook_url: 'https://hooks.slack.com/services/T1/x'}\n",
         "a Slack channel needs webhook_url: https://hooks.slack.com/services/T…/B…/…"),
        ("channels:\n  - {platform: discord, channel_id: 'general'}\n", "channel_id must be a Discord channel id"),
        ("channels:\n  - {platform: discord, channel_id: 123456789012345678, webhook_url: 'https://discord.com/api/webhooks/1/t'}\n",
         "a webhook_url or a channel_id, not both"),
        ("channels:\n  - {platform: slack, channel_id: 123456789012345678}\n",
         "channel_id must be a Slack channel id like C0123ABCDEF"),
        ("channels:\n  - {platform: matrix, room: '!a:b.org', channel_id: C0123ABCDEF}\n",
         "channel_id is for Discord and Slack channels"),
    ],
)
def test_bad_values_give_one_clear_line(tmp_path, yaml_text, message):
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, yaml_text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(tmp_path / "absent.yaml")


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = write(tmp_path, "storage:\n  url: sqlite+aiosqlite:///file.db\nmodel:\n  max_chars: 300\n")
    monkeypatch.setenv("BRIEFBOT_STORAGE__URL", "postgresql+asyncpg://db/briefbot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = load_settings(path)
    assert settings.storage.url == "postgresql+asyncpg://db/briefbot"
    assert settings.model.max_chars == 300
    assert settings.telegram.token == "123:abc"
