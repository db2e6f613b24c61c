"""`bot run --role worker`: feeds, digests and the outbox, but no Telegram updates (one other process takes
them); `--role receiver`: the updates, but neither feeds nor scheduled digests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.__main__ import main
from bot.app import web_server_of
from tests.botharness import (
    CHANNEL,
    CHANNEL_ID,
    STORIES,
    add_channel,
    admin_says,
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


async def test_a_receiver_answers_commands_but_neither_polls_feeds_nor_runs_digest_jobs(tmp_path, fake_api):
    add_channel(fake_api)
    due = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    settings = bot_settings(tmp_path, fake_api, run={"role": "receiver"},
                            channels=[{"chat": CHANNEL, "digest": {"at": f"{due:%H:%M}", "timezone": "UTC"}}])
    async with running_bot(settings) as application:
        status = await admin_says(fake_api, f"/status {CHANNEL}")
        jobs = {job.name for job in application.job_queue.jobs()}

    assert jobs == {"outbox", "schedules"}
    assert f"Next digest: {due:%Y-%m-%d %H:%M}" in status  # from the schedule, with no job to ask


@pytest.mark.parametrize(("url", "code", "err"), [
    ("sqlite+aiosqlite:///bot.db", 2, "error: role {role} needs a PostgreSQL storage.url: processes share work only "
                                      "there (one process per SQLite file)\n"),
    ("postgresql+asyncpg://briefbot@db/briefbot", 0, ""),
])
@pytest.mark.parametrize("role", ["worker", "receiver"])
@pytest.mark.parametrize("given", ["flag", "env"])
def test_a_worker_or_receiver_needs_postgresql(tmp_path, capsys, monkeypatch, url, code, err, role, given):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    config = tmp_path / "bot.yaml"
    config.write_text(f'storage: {{url: "{url}"}}\n')
    argv = ["run", "--config", str(config), "--check-config"]
    if given == "flag":
        argv += ["--role", role]
    else:
        monkeypatch.setenv("BRIEFBOT_RUN__ROLE", role)

    assert main(argv) == code
    assert capsys.readouterr().err == err.format(role=role)
