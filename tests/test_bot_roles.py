"""`bot run --role worker`: feeds, digests and the outbox, but no Telegram updates (one other process takes them)."""

from __future__ import annotations

import aiohttp
import pytest

from bot.__main__ import main
from bot.app import web_server_of
from tests.botharness import (
    CHANNEL,
    CHANNEL_ID,
    STORIES,
    add_channel,
    bot_settings,
    quiet_schedule,
    rss,
    run_job,
    running_bot,
)
from tests.feedserver import reply

# What only the process that receives updates calls.
RECEIVING = {"getUpdates", "setWebhook", "deleteWebhook", "setMyCommands"}


@pytest.mark.parametrize("telegram", [{}, {"webhook_url": "https://bot.example.org/updates"}],
                         ids=["long-polling", "webhook"])
async def test_a_worker_posts_digests_but_never_asks_telegram_for_updates(tmp_path, fake_api, web, telegram):
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    add_channel(fake_api)
    # SQLite is refused by the command line's config check only; the application runs the same on it.
    settings = bot_settings(tmp_path, fake_api, telegram=telegram, run={"role": "worker"},
                            feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
                            channels=[{"chat": CHANNEL, "language": "en", "digest": quiet_schedule()}])
    async with running_bot(settings) as application:
        await run_job(application, "poll")
        [digest_job] = [job.name for job in application.job_queue.jobs() if job.name.startswith("digest:")]
        await run_job(application, digest_job)
        url = f"http://127.0.0.1:{web_server_of(application).port}/updates"
        async with aiohttp.ClientSession() as session, session.post(url, json={"update_id": 1}) as response:
            webhook_status = response.status

    [digest] = fake_api.messages_to(CHANNEL_ID)
    assert all(title in digest.plain_text for title, _ in STORIES)
    assert RECEIVING.isdisjoint(method for method, _ in fake_api.requests)
    assert webhook_status == 404


@pytest.mark.parametrize(("url", "code", "err"), [
    ("sqlite+aiosqlite:///bot.db", 2, "error: role worker needs a PostgreSQL storage.url: processes share work only "
                                      "there (one process per SQLite file)\n"),
    ("postgresql+asyncpg://briefbot@db/briefbot", 0, ""),
])
@pytest.mark.parametrize("given", ["flag", "env"])
def test_a_worker_needs_postgresql(tmp_path, capsys, monkeypatch, url, code, err, given):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    config = tmp_path / "bot.yaml"
    config.write_text(f'storage: {{url: "{url}"}}\n')
    argv = ["run", "--config", str(config), "--check-config"]
    if given == "flag":
        argv += ["--role", "worker"]
    else:
        monkeypatch.setenv("BRIEFBOT_RUN__ROLE", "worker")

    assert main(argv) == code
    assert capsys.readouterr().err == err
