"""The bot's HTTP server (/healthz, /metrics, webhook), `python -m bot run` and its config check."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

import bot.resources
from bot.__main__ import main
from bot.app import check_config, serve, web_server_of
from config.settings import ConfigError
from tests.botharness import USER_ID, bot_settings, running_bot
from tests.doubles import SUMMARY, FakeBackend
from tests.fakebotapi import FakeBotApi

TEXT = ("The city council approved the new budget on Tuesday after a long debate. "
        "The plan gives more money to schools and to the repair of roads in the north.")


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.content_type, await response.text()


async def test_healthz_reports_database_model_and_last_poll(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)) as application:
        port = web_server_of(application).port
        status, content_type, body = await get(f"http://127.0.0.1:{port}/healthz")

    assert (status, content_type) == (200, "application/json")
    assert body == '{"status": "ok", "db": true, "model_loaded": true, "last_poll": null}'


async def test_metrics_are_served_in_prometheus_text_format(tmp_path, fake_api):
    async with running_bot(bot_settings(tmp_path, fake_api)) as application:
        fake_api.user_message(USER_ID, USER_ID, f"/summarize {TEXT}")
        await fake_api.wait_for_messages(1, chat_id=USER_ID)
        status, content_type, body = await get(f"http://127.0.0.1:{web_server_of(application).port}/metrics")

    assert (status, content_type) == (200, "text/plain")
    families = {family.name: family for family in text_string_to_metric_families(body)}
    assert set(families) >= {
        "briefbot_feeds_polled", "briefbot_fetch_errors", "briefbot_summaries", "briefbot_summary_seconds",
        "briefbot_digests_posted", "briefbot_telegram_errors", "briefbot_queue_depth",
    }
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("briefbot_summaries_total", (("kind", "user"),))] == 1
    assert samples[("briefbot_summaries_total", (("kind", "digest"),))] == 0
    assert samples[("briefbot_summary_seconds_count", ())] == 1
    assert samples[("briefbot_summary_seconds_bucket", (("le", "+Inf"),))] == 1
    assert samples[("briefbot_queue_depth", (("queue", "outbox"),))] == 0
    assert samples[("briefbot_telegram_errors_total", (("error", "flood"),))] == 0


async def test_webhook_mode_registers_the_webhook_and_takes_only_updates_with_the_secret(tmp_path, fake_api):
    settings = bot_settings(tmp_path, fake_api, telegram={
        "webhook_url": "https://bot.example.org/telegram-updates", "webhook_secret": "s3cret-token",
    })
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": USER_ID, "type": "private", "first_name": "Ann"},
        "from": {"id": USER_ID, "is_bot": False, "first_name": "Ann"}, "text": f"/summarize {TEXT}",
        "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
    }}
    fake_api.add_chat(USER_ID, type="private")
    async with running_bot(settings) as application:
        url = f"http://127.0.0.1:{web_server_of(application).port}/telegram-updates"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as no_secret:
                refused = no_secret.status
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with session.post(url, json=update, headers=headers) as with_secret:
                accepted = with_secret.status
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    [(_, registered)] = [call for call in fake_api.requests if call[0] == "setWebhook"]
    assert registered["url"] == "https://bot.example.org/telegram-updates"
    assert registered["secret_token"] == "s3cret-token"
    assert "getUpdates" not in [method for method, _ in fake_api.requests]
    assert (refused, accepted) == (403, 200)
    assert answer.plain_text.startswith(SUMMARY)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_over_plain_http_to_a_self_hosted_bot_api_server(tmp_path, fake_api):
    fake_api.local_mode = True
    port = free_port()
    settings = bot_settings(tmp_path, fake_api, server={"port": port},
                            telegram={"webhook_url": f"http://127.0.0.1:{port}/updates"})
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": USER_ID, "type": "private", "first_name": "Ann"},
        "from": {"id": USER_ID, "is_bot": False, "first_name": "Ann"}, "text": f"/summarize {TEXT}",
        "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
    }}
    fake_api.add_chat(USER_ID, type="private")

    [note] = check_config(settings)  # the self-hosted server (base_url) takes http webhooks
    async with running_bot(settings):
        async with aiohttp.ClientSession() as session, session.post(f"http://127.0.0.1:{port}/updates", json=update):
            pass
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    assert "plain HTTP" in note and "127.0.0.1" in note
    [(_, registered)] = [call for call in fake_api.requests if call[0] == "setWebhook"]
    assert registered["url"] == f"http://127.0.0.1:{port}/updates"
    assert answer.plain_text.startswith(SUMMARY)


async def test_the_bot_runs_against_a_bot_api_server_lacking_the_profile_methods(tmp_path, fake_api, caplog):
    # PTB reads any 404 as a rejected token; only getMe may say that.
    fake_api.fail_next("setMyCommands", status=404, count=100)
    fake_api.add_chat(USER_ID, type="private")
    async with running_bot(bot_settings(tmp_path, fake_api)):
        fake_api.user_message(USER_ID, USER_ID, f"/summarize {TEXT}")
        [answer] = await fake_api.wait_for_messages(1, chat_id=USER_ID)

    assert answer.plain_text.startswith(SUMMARY)
    assert [record for record in caplog.records if "command menu was not set" in record.getMessage()]


async def test_a_token_that_getme_refuses_is_a_config_error(tmp_path, fake_api):
    fake_api.fail_next("getMe", status=401)
    with pytest.raises(ConfigError, match="telegram.token was rejected by Telegram"):
        async with running_bot(bot_settings(tmp_path, fake_api)):
            pass


async def test_run_serves_until_sigterm_without_logging_the_token(tmp_path, monkeypatch, caplog):
    # The stand-in model replaces the configured one where the runtime loads it.
    monkeypatch.setattr(bot.resources, "load_backend", lambda *args, **kwargs: FakeBackend())
    caplog.set_level(logging.INFO)
    async with FakeBotApi(token="4242:SECRET-token-value") as api:
        settings = bot_settings(tmp_path, api)
        running = asyncio.create_task(serve(settings, None))
        api.user_message(USER_ID, USER_ID, f"/summarize {TEXT}")
        [answer] = await api.wait_for_messages(1, chat_id=USER_ID)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, timeout=10)

    assert answer.plain_text.startswith(SUMMARY)
    assert "getUpdates" in [method for method, _ in api.requests]
    assert caplog.records and not [record for record in caplog.records if "SECRET" in record.getMessage()]


def test_check_config_accepts_a_valid_config(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = tmp_path / "bot.yaml"
    config.write_text('telegram: {token: "123:abc"}\nchannels:\n  - chat: "@news"\n'
                      '    digest: {cron: "0 7,18 * * 1-5", timezone: Europe/Berlin}\n')

    assert main(["run", "--config", str(config), "--check-config"]) == 0
    assert capsys.readouterr().out == "config ok: 0 feeds, 1 channels\n"


@pytest.mark.parametrize("channels", [
    'matrix: {homeserver: "https://m.example.org", access_token: "syt_x"}\nchannels: [{platform: matrix, room: "!r:m.org"}]\n',
    'channels: [{platform: discord, webhook_url: "https://discord.com/api/webhooks/1/t"}]\n',
    'channels: [{platform: slack, webhook_url: "https://hooks.slack.com/services/T1/B2/s"}]\n',
])
def test_check_config_needs_no_telegram_token_when_no_channel_is_on_telegram(tmp_path, capsys, monkeypatch, channels):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    (tmp_path / "bot.yaml").write_text(channels)

    assert main(["run", "--config", str(tmp_path / "bot.yaml"), "--check-config"]) == 0
    assert capsys.readouterr().out == "config ok: 0 feeds, 1 channels\n"


@pytest.mark.parametrize(("yaml", "message"), [
    ("telegram: {token: null}\n", "error: telegram.token is not set (put it in the config or in TELEGRAM_BOT_TOKEN)\n"),
    ("channels: [{platform: discord, channel_id: 123456789012345678}]\n",
     "error: discord.bot_token is not set (put it in BRIEFBOT_DISCORD__BOT_TOKEN), and channel "
     "discord:channel:123456789012345678 is posted to as the bot\n"),
    ("channels: [{platform: slack, channel_id: C0123ABCDEF}]\n",
     "error: slack.bot_token is not set (put it in BRIEFBOT_SLACK__BOT_TOKEN), and channel slack:channel:C0123ABCDEF "
     "is posted to as the bot\n"),
    ('channels: [{platform: discord, webhook_url: "https://discord.com/api/webhooks/1/t"}, {chat: "@news"}]\n',
     "error: telegram.token is not set (put it in the config or in TELEGRAM_BOT_TOKEN), and channel @news is on "
     "Telegram\n"),
    ('telegram: {token: "123:abc"}\nchannels: [{chat: "@news", digest: {cron: "0 7 * *"}}]\n',
     "error: bot.yaml: key 'channels.0.digest': a cron expression has 5 fields, got 4\n"),
    ('telegram: {token: "123:abc", webhook_url: "http://bot.example.org/hook"}\n',
     "error: telegram.webhook_url must be an https:// URL\n"),
    ('telegram: {token: "123:abc", webhook_url: "http://bot.example.org/hook", base_url: "https://api.telegram.org/bot"}\n',
     "error: telegram.webhook_url must be an https:// URL\n"),
    ("telegram: {tokn: x}\n", "error: bot.yaml: unknown key 'telegram.tokn'\n"),
    ('telegram: {token: "123:abc"}\nchannels: [{platform: matrix, room: "!r:example.org"}]\n',
     "error: matrix.homeserver is not set, and channel !r:example.org is a Matrix room\n"),
    ('telegram: {token: "123:abc"}\nmatrix: {homeserver: "https://m.example.org"}\n'
     'channels: [{platform: matrix, room: "!r:example.org"}]\n',
     "error: matrix.access_token is not set (put it in BRIEFBOT_MATRIX__ACCESS_TOKEN), and channel !r:example.org "
     "is a Matrix room\n"),
])
def test_check_config_rejects_a_bad_config_with_one_line(tmp_path, capsys, monkeypatch, yaml, message):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bot.yaml").write_text(yaml)

    assert main(["run", "--config", "bot.yaml", "--check-config"]) == 2
    assert capsys.readouterr().err == message
