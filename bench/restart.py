"""Measure recovery after a crash: a bot killed (SIGKILL) mid-digest, started again on the same store.

Usage: .venv/bin/python bench/restart.py [--messages N] [--model PATH]

A digest of N messages waits in the outbox; `python -m bot run` sends it to the fake Bot API on
127.0.0.1, which lets one message a second through to the channel. After 3 are out the process is
killed, then started again. Prints one JSON object: {"messages", "sent_before_kill",
"first_after_restart_s" (restart to its first message: start-up included), "rest_sent_s" (restart to
the last message), "lost", "repeated"}. The model is a tiny random one unless --model names another
(the outbox does not use it; the bot loads it at start).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.common import machine  # noqa: E402
from bot.digest.items import ChannelDigest  # noqa: E402
from bot.digest.record import queue_digest  # noqa: E402
from bot.store.db import open_store  # noqa: E402
from bot.store.queries import sync_config  # noqa: E402
from bot.store.tables import Channel  # noqa: E402
from config.settings import load_settings  # noqa: E402
from tests.botharness import CHANNEL, CHANNEL_ID, quiet_schedule  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402

KILL_AFTER = 3


def write_config(folder: Path, api: FakeBotApi, model: Path) -> Path:
    config = folder / "bot.yaml"
    config.write_text(yaml.safe_dump({
        "storage": {"url": f"sqlite+aiosqlite:///{folder / 'bot.db'}"},
        "telegram": {"token": api.token, "base_url": api.base_url},
        "server": {"host": "127.0.0.1", "port": 0},
        "model": {"name": str(model)},
        "channels": [{"chat": CHANNEL, "language": "en", "digest": quiet_schedule()}],
    }))
    return config


async def queue(config: Path, texts: list[str]) -> None:
    """A digest waiting in the outbox, as a digest job leaves it."""
    settings = load_settings(config)
    engine, sessions = await open_store(settings.storage.url)
    async with sessions() as session:
        await sync_config(session, settings, config.parent)
        channel = await session.scalar(select(Channel))
        await queue_digest(session, channel.id, ChannelDigest(CHANNEL, "en", [], texts))
    await engine.dispose()


async def start_bot(config: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PTB_TIMEDELTA": "true"}
    with (config.parent / "bot.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )


async def killed_mid_digest(folder: Path, model: Path, messages: int = 12, timeout: float = 300) -> dict:
    texts = [f"Part {n} of the digest" for n in range(1, messages + 1)]
    # Telegram lets one message a second through to the channel: the kill lands mid-digest.
    async with FakeBotApi(per_chat_burst=1) as api:
        api.add_chat(CHANNEL_ID, username=CHANNEL.lstrip("@"))
        config = write_config(folder, api, model)
        await queue(config, texts)

        first = await start_bot(config)
        try:
            await api.wait_for_messages(KILL_AFTER, chat_id=CHANNEL_ID, timeout=timeout)
        finally:
            first.kill()
            await first.wait()
        before = len(api.messages_to(CHANNEL_ID))

        second = await start_bot(config)
        restarted = time.monotonic()
        try:
            await api.wait_for_messages(before + 1, chat_id=CHANNEL_ID, timeout=timeout)
            first_after = time.monotonic() - restarted
            while len({message.text for message in api.messages_to(CHANNEL_ID)}) < len(texts):
                if time.monotonic() - restarted > timeout:
                    break
                await asyncio.sleep(0.1)
            rest_sent = time.monotonic() - restarted
            await asyncio.sleep(1)  # room for a repeat, if there were one
        finally:
            second.terminate()
            await second.wait()
    delivered = [message.text for message in api.messages_to(CHANNEL_ID)]
    return {
        "messages": len(texts),
        "sent_before_kill": before,
        "first_after_restart_s": round(first_after, 2),
        "rest_sent_s": round(rest_sent, 2),
        "lost": len(set(texts) - set(delivered)),
        "repeated": len(delivered) - len(set(delivered)),
        "in_order": list(dict.fromkeys(delivered)) == texts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=12)
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: a tiny random one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.model is None:
            from tests.tinymodels import build_tiny_causal

            args.model = build_tiny_causal(folder / "model")
        result = asyncio.run(killed_mid_digest(folder, args.model, args.messages))
    print(json.dumps({**result, "machine": machine()}))


if __name__ == "__main__":
    main()
