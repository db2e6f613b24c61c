"""Digests in a Matrix room, against a real Synapse: formatted and plain bodies, order, the homeserver's
rate limit, a send repeated after a lost answer, a bot process killed mid-digest, a room the bot was
kicked from."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
import yaml
from sqlalchemy import select, update

from bench.restart import queue as queue_in_outbox
from bench.restart import start_bot
from bot.app import outbox_of, usecases_of, web_server_of
from bot.digest.items import ChannelDigest
from bot.digest.record import queue_digest
from bot.matrix.render import plain_body
from bot.store.tables import Channel, OutboxMessage, utcnow
from tests.botharness import STORIES, bot_settings, quiet_schedule, rss, run_job, running_bot
from tests.fakediscord import FakeDiscord
from tests.feedserver import reply
from tests.synapse import Account, Homeserver, homeserver  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow  # Synapse starts in seconds

ITEM = ('<b>Dock strike ends</b>\nWorkers at Rotterdam return on Monday <i>(de)</i>\n'
        '<a href="https://example.org/a?x=1&amp;y=2">Harbour Herald</a> · <a href="https://example.de/b">Kurier</a> (de)')


class Room:
    """The room's owner, a client of its own: makes the room, invites the bot, reads back what it got."""

    def __init__(self, server: Homeserver, owner: Account, bot: Account) -> None:
        self._server, self._owner, self._bot = server, owner, bot
        created = self._call(owner, "POST", "/createRoom", {"preset": "private_chat", "invite": [bot.user_id]})
        self.room_id = created["room_id"]
        self._call(bot, "POST", f"/rooms/{quote(self.room_id)}/join", {})

    def _call(self, account: Account, method: str, path: str, body: dict | None = None) -> dict:
        answer = httpx.request(method, f"{self._server.url}/_matrix/client/v3{path}", json=body,
                               headers={"Authorization": f"Bearer {account.access_token}"})
        answer.raise_for_status()
        return answer.json()

    def messages(self) -> list[dict]:
        """The m.room.message contents, oldest first."""
        events = self._call(self._owner, "GET", f"/rooms/{quote(self.room_id)}/messages?dir=f&limit=100")["chunk"]
        return [event["content"] for event in events if event["type"] == "m.room.message"]

    def kick_bot(self) -> None:
        self._call(self._owner, "POST", f"/rooms/{quote(self.room_id)}/kick", {"user_id": self._bot.user_id})


@pytest.fixture
def matrix_room(homeserver, request):  # noqa: F811
    name = request.node.name.lower().replace("_", "")[-30:]
    bot, owner = homeserver.register(f"bot{name}"), homeserver.register(f"owner{name}")
    return bot, Room(homeserver, owner, bot)


def matrix_settings(tmp_path, fake_api, homeserver: Homeserver, bot: Account, room: Room):  # noqa: F811
    return bot_settings(
        tmp_path, fake_api, matrix={"homeserver": homeserver.url, "access_token": bot.access_token},
        channels=[{"platform": "matrix", "room": room.room_id, "language": "en", "digest": quiet_schedule()}],
    )


async def queue(application, room: Room, texts: list[str]) -> int:
    async with usecases_of(application).resources.sessions() as session:
        channel = await session.scalar(select(Channel).where(Channel.chat == room.room_id))
        await queue_digest(session, channel.id, ChannelDigest(room.room_id, "en", [], texts))
    return channel.id


async def test_a_digest_reaches_the_room_in_order_as_html_and_plain_text(tmp_path, fake_api, homeserver,  # noqa: F811
                                                                         matrix_room, caplog):
    bot, room = matrix_room
    texts = [ITEM] + [f"<b>Story {n}</b>\nText {n}" for n in range(2, 7)]  # more than the homeserver's burst
    async with running_bot(matrix_settings(tmp_path, fake_api, homeserver, bot, room)) as application:
        await queue(application, room, texts)
        with caplog.at_level(logging.WARNING):
            sent = await outbox_of(application).send_pending()

    received = room.messages()
    assert sent == 6 and len(received) == 6
    assert received[0] == {
        "msgtype": "m.text",
        "format": "org.matrix.custom.html",
        "formatted_body": ITEM.replace("\n", "<br>"),
        "body": "Dock strike ends\nWorkers at Rotterdam return on Monday (de)\n"
                "Harbour Herald <https://example.org/a?x=1&y=2> · Kurier <https://example.de/b> (de)",
    }
    assert [content["body"] for content in received[1:]] == [plain_body(text) for text in texts[1:]]
    # The homeserver's rate limit was met and waited out: one warning line each, no error.
    limited = [record for record in caplog.records if "rate limited" in record.getMessage()]
    assert limited and all(record.levelno == logging.WARNING and not record.exc_info for record in limited)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_message_sent_again_after_its_answer_was_lost_is_one_event(tmp_path, fake_api, homeserver,  # noqa: F811
                                                                          matrix_room):
    bot, room = matrix_room
    async with running_bot(matrix_settings(tmp_path, fake_api, homeserver, bot, room)) as application:
        await queue(application, room, ["first", "second"])
        await outbox_of(application).send_pending()
        # As if the process died after the homeserver's answer and before the commit that records it,
        # and its claim ran out.
        async with usecases_of(application).resources.sessions.begin() as session:
            await session.execute(update(OutboxMessage).where(OutboxMessage.text == "second").values(
                sent_at=None, claimed_until=utcnow() - timedelta(seconds=1)))
        again = await outbox_of(application).send_pending()

    assert again == 1
    assert [content["body"] for content in room.messages()] == ["first", "second"]


async def test_a_room_the_bot_was_kicked_from_pauses_its_channel(tmp_path, fake_api, homeserver,  # noqa: F811
                                                                 matrix_room):
    bot, room = matrix_room
    room.kick_bot()
    async with running_bot(matrix_settings(tmp_path, fake_api, homeserver, bot, room)) as application:
        channel_id = await queue(application, room, ["not for this room"])
        sent = await outbox_of(application).send_pending()
        async with usecases_of(application).resources.sessions() as session:
            channel = await session.get(Channel, channel_id)
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"http://127.0.0.1:{web_server_of(application).port}/healthz")).json()

    assert sent == 0 and room.messages() == []
    assert channel.paused_reason.startswith("M_FORBIDDEN")
    assert health["status"] == "ok"  # the bot's other channels go on
    assert health["paused_channels"] == [{"platform": "matrix", "chat": room.room_id, "reason": channel.paused_reason}]


async def test_one_bot_run_posts_the_same_stories_to_telegram_matrix_and_discord_each_in_its_format(
    tmp_path, fake_api, web, homeserver, matrix_room  # noqa: F811
):
    bot, room = matrix_room
    telegram_id = -1004000000001
    fake_api.add_chat(telegram_id, type="channel", username="briefnews")
    web.route("/feed.xml", reply(rss(STORIES), headers={"Content-Type": "application/rss+xml"}))
    async with FakeDiscord() as discord:
        webhook_id, webhook_url = discord.create_webhook()
        settings = bot_settings(
            tmp_path, fake_api, feeds=[{"name": "herald", "url": web.url("/feed.xml")}],
            matrix={"homeserver": homeserver.url, "access_token": bot.access_token},
            channels=[{"chat": "@briefnews", "language": "en", "digest": quiet_schedule()},
                      {"platform": "matrix", "room": room.room_id, "language": "en", "digest": quiet_schedule()},
                      {"platform": "discord", "webhook_url": webhook_url, "language": "en", "digest": quiet_schedule()}],
        )
        async with running_bot(settings) as application:
            await run_job(application, "poll")
            for job in [job for job in application.job_queue.jobs() if job.name.startswith("digest:")]:
                await run_job(application, job.name)

    [telegram] = fake_api.messages_to(telegram_id)
    matrix = room.messages()
    discord_text = "\n\n".join(discord.contents(webhook_id))
    assert len(matrix) == 1
    for title, _ in STORIES:
        assert f"<b>{title}</b>" in telegram.text and title in telegram.plain_text
        assert title in matrix[0]["body"] and f"<b>{title}</b>" in matrix[0]["formatted_body"]
        assert f"**{title}**" in discord_text
    assert "<br>" in matrix[0]["formatted_body"] and "\n" not in matrix[0]["formatted_body"]


KILLED_AFTER = 3
RESTART_TIMEOUT = 120.0


async def room_holds(room: Room, count: int) -> None:
    """Wait until the room has `count` messages."""
    deadline = asyncio.get_running_loop().time() + RESTART_TIMEOUT
    while len(await asyncio.to_thread(room.messages)) < count:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the room has {len(room.messages())} messages, not {count}")
        await asyncio.sleep(0.1)


async def test_a_bot_killed_mid_digest_posts_each_message_to_the_room_once_after_its_restart(
    tmp_path, homeserver, matrix_room, tiny_causal_dir, monkeypatch  # noqa: F811
):
    bot, room = matrix_room
    texts = [f"Part {n} of the digest" for n in range(1, 13)]  # four times the homeserver's burst
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)  # a Matrix-only bot needs no Telegram token
    config = tmp_path / "bot.yaml"
    config.write_text(yaml.safe_dump({
        "storage": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        "server": {"host": "127.0.0.1", "port": 0},
        "model": {"name": str(tiny_causal_dir)},
        "matrix": {"homeserver": homeserver.url, "access_token": bot.access_token},
        "channels": [{"platform": "matrix", "room": room.room_id, "language": "en", "digest": quiet_schedule()}],
    }))
    await queue_in_outbox(config, texts)

    first = await start_bot(config)
    try:
        await room_holds(room, KILLED_AFTER)
    finally:
        first.kill()  # SIGKILL: no shutdown at all, a send may be in flight
        await first.wait()
    before_kill = len(room.messages())
    second = await start_bot(config)
    try:
        await room_holds(room, len(texts))
        await asyncio.sleep(1)  # room for a repeat, if there were one
    finally:
        second.terminate()
        await second.wait()

    assert KILLED_AFTER <= before_kill < len(texts)
    # The message in flight at the kill was sent again with its transaction id: still one event.
    assert [content["body"] for content in room.messages()] == texts
    assert "Traceback" not in (tmp_path / "bot.log").read_text()

