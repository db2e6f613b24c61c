"""Measure digest posting: 20 channels, 2-3 messages each, through the fake Bot API with Telegram's flood limits.

Usage: .venv/bin/python bench/posting.py [--channels N]

The real bot (Application, AIORateLimiter, outbox) runs against tests.fakebotapi on 127.0.0.1 with a
stand-in model; every channel's digest is queued as the digest job queues it, then the outbox sends
them all. Prints one JSON object:
{"channels", "messages", "seconds", "messages_per_minute", "429_received", "429_unhandled", "lost", "duplicated"}
where 429_unhandled counts messages a flood refusal left unsent at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.app import build_application, outbox_of, started, usecases_of  # noqa: E402
from bot.digest.items import (  # noqa: E402
    ChannelDigest,  # noqa: E402
    DigestItem,
    SourceLink,
)
from bot.digest.record import queue_digest  # noqa: E402
from bot.store.queries import unsent_messages  # noqa: E402
from bot.store.tables import Channel  # noqa: E402
from bot.telegram.render import render_digest  # noqa: E402
from config.settings import Settings  # noqa: E402
from summarizer import Summarizer  # noqa: E402
from tests.botharness import quiet_schedule  # noqa: E402
from tests.doubles import FakeBackend  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402

SUMMARY = ("The harbour authority agreed to hire forty more crane operators, ending a two-week strike; "
           "ships waiting at anchor began unloading on Monday afternoon and the backlog should clear by Friday. ")


def digest_messages(channel: int) -> list[str]:
    """A digest as the bot formats it: 2 or 3 messages of story items."""
    stories = 7 if channel % 2 else 15
    items = [
        DigestItem(story, f"Story {story} for channel {channel}", SUMMARY * 3,
                   [SourceLink(f"https://herald.example/{channel}/{story}", "Harbour Herald", "en")])
        for story in range(stories)
    ]
    return render_digest(items, "en")


async def bench(channels: int) -> dict:
    chat_ids = {f"@bench_channel_{n}": -1002000000000 - n for n in range(channels)}
    async with FakeBotApi() as api:  # Telegram's limits, enforced
        for name, chat_id in chat_ids.items():
            api.add_chat(chat_id, type="channel", username=name.lstrip("@"))
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                storage={"url": f"sqlite+aiosqlite:///{tmp}/bench.db"},
                telegram={"token": api.token, "base_url": api.base_url},
                server={"port": 0},
                channels=[{"chat": name, "digest": quiet_schedule()} for name in chat_ids],
            )
            application = build_application(settings, None, summarizer=Summarizer(FakeBackend()))
            async with started(application):
                sessions = usecases_of(application).resources.sessions
                expected: dict[int, list[str]] = {}
                async with sessions() as session:
                    for number, channel in enumerate(await session.scalars(select(Channel).order_by(Channel.id))):
                        texts = digest_messages(number)
                        expected[chat_ids[channel.chat]] = texts
                        await queue_digest(session, channel.id, ChannelDigest(channel.chat, "en", [], texts))
                total = sum(len(texts) for texts in expected.values())
                started_at = time.monotonic()
                await outbox_of(application).send_pending()
                await api.wait_for_messages(total, timeout=120)
                seconds = time.monotonic() - started_at
                async with sessions() as session:
                    unsent = await unsent_messages(session)
    delivered = Counter((message.chat_id, message.text) for message in api.sent)
    wanted = Counter((chat_id, text) for chat_id, texts in expected.items() for text in texts)
    send_calls = sum(1 for method, _ in api.requests if method == "sendMessage")
    in_order = all([m.text for m in api.messages_to(chat_id)] == texts for chat_id, texts in expected.items())
    return {
        "channels": channels,
        "messages": total,
        "seconds": round(seconds, 2),
        "messages_per_minute": round(total / seconds * 60, 1),
        "429_received": send_calls - len(api.sent),
        "429_unhandled": unsent,
        "lost": sum((wanted - delivered).values()),
        "duplicated": sum((delivered - wanted).values()),
        "in_order": in_order,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args.channels))))


if __name__ == "__main__":
    main()
