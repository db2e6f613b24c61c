"""Several `bot run` processes on one PostgreSQL database: is every story posted once, and how is the work shared?

Usage: .venv/bin/python bench/scale_out.py [--processes 3] [--feeds 4] [--stories 8] [--load 2]
                                           [--model-delay 0] [--kill] [--timeout 300] [--database-url URL] [--json]

Starts the processes together on one config and one new database (dropped afterwards), with local
RSS feeds of full-text stories, a stand-in OpenAI-compatible model server (its summary is the
article's first sentence, after --model-delay seconds; its vectors tell every article apart) and
the fake Bot API, while `--load` busy loops keep the CPU busy. Two channels take every feed, with a
digest each minute. When every story has reached both channels (or at the timeout) each process
gets SIGTERM. Prints a line per figure, or with --json one JSON object: {"processes", "feeds",
"stories", "messages_expected" and "messages_delivered" (a story reaching a channel, by its link),
"missing", "duplicates" (a story posted to a channel more than once), "seconds" (start to the last
story), "exited_early" (exit codes of processes that ended before SIGTERM), "stop_seconds" (per
process, SIGTERM to exit), "exit_codes", "log_errors" (tracebacks in the logs),
"fetches_per_due_feed" (the most any feed was fetched; each is due once in a run),
"summaries_per_story_language" (the most summaries asked of the model for one story in one
language), "summaries_per_minute" (summaries the model server answered, per minute that it had at
least one in hand)}.

With --kill, one process gets SIGKILL while the model is making summaries it asked for, once a
quarter of the stories are summarised; "takeover_s" is how long after that the last of its
unfinished summaries was asked for again by another process (null: one never was), and
"killed_in_flight" how many there were.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import yaml
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402
from tests.feedserver import FeedServer, reply  # noqa: E402
from tests.pg import throwaway_database  # noqa: E402

CHANNELS = {-1001000000001: "@digest_one", -1001000000002: "@digest_two"}
STOP_WAIT = 30.0  # seconds a process may take to stop on SIGTERM before it is killed
_DIMENSION = 64
_TITLE = re.compile(r"Story (\d+)\b")
_LINK = re.compile(r"https://news\.example/\d+/(\d+)")


def story_title(number: int) -> str:
    return f"Story {number}: harbour board {number} votes on pier {number}"


# Words that vary from story to story in every sentence: stories that only differed in their
# numbers would read as copies of one text (bot/feeds/dedupe.py) and be grouped into few stories.
_WORDS = {
    "body": ["harbour board", "town council", "port authority", "county board", "ferry trust", "river commission",
             "coastal agency", "city council", "regional assembly", "water board", "parish council"],
    "town": ["Arden", "Belmouth", "Corran", "Dunmere", "Elsby", "Fernhold", "Garrow", "Hale", "Inver", "Joss",
             "Kilby", "Lorne", "Marsh End", "Norwick", "Oban Ferry", "Pellow", "Quarry Bay"],
    "work": ["rebuild", "widen", "repair", "replace", "strengthen", "extend", "reopen"],
    "thing": ["pier", "sea wall", "slipway", "lighthouse", "breakwater", "footbridge", "boathouse", "quay",
              "ferry ramp", "harbour crane", "lock gate", "jetty", "fish market"],
    "season": ["winter", "autumn", "spring", "summer"],
    "cause": ["a crane collapsed", "a storm surge", "a fire", "a landslip", "subsidence", "a ship collision",
              "flooding", "corrosion was found", "a survey failed"],
    "payer": ["the national treasury", "a private donor", "the harbour trust", "a European grant",
              "the fishing cooperative", "local taxpayers", "the ferry company", "a lottery fund"],
    "people": ["fishermen", "ferry crews", "shopkeepers", "sailors", "residents", "boat builders", "divers"],
    "worry": ["their moorings", "lost trade", "the tourist season", "insurance costs", "safety", "noise"],
    "when": ["next month", "in the new year", "after the election", "within weeks", "by the summer"],
}


def _word(kind: str, number: int) -> str:
    options = _WORDS[kind]
    return options[int.from_bytes(hashlib.sha256(f"{kind}{number}".encode()).digest()[:4], "big") % len(options)]


def story_text(number: int) -> str:
    # Full text in the feed (no page fetch), long enough not to read as a teaser.
    w = {kind: _word(kind, number) for kind in _WORDS}
    return (
        f"The {w['body']} of {w['town']} voted on Monday to {w['work']} the {w['thing']} number {number} "
        f"before the {w['season']} storms. "
        f"Engineers in {w['town']} said the {w['thing']} had been closed since {w['cause']} in the {w['season']}. "
        f"The works will be paid for by {w['payer']} and by the {w['body']} itself, "
        f"and {w['people']} of {w['town']} said they welcomed the decision after months of worry about {w['worry']}. "
        f"The {w['body']} will publish the timetable for the {w['thing']} {w['when']}, once contractors are chosen."
    )


def rss(feed: int, numbers: list[int]) -> bytes:
    published = datetime.now(UTC) - timedelta(minutes=30)
    items = "".join(
        f"<item><title>{story_title(n)}</title><link>https://news.example/{feed}/{n}</link>"
        f"<guid>https://news.example/{feed}/{n}</guid><pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{story_text(n)}</description></item>"
        for n in numbers
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>https://news.example/{feed}</link><description>test</description>{items}</channel></rss>").encode()


@dataclass
class ModelLog:
    """What the stand-in model server was asked for: summaries per story number, and each summary
    request's times and client port."""

    summarised: Counter[int] = field(default_factory=Counter)
    asked: list[tuple[float, int, int]] = field(default_factory=list)  # (time, story, client port)
    in_flight: dict[int, set[int]] = field(default_factory=dict)  # client port -> stories asked, unanswered
    answered: list[tuple[float, float]] = field(default_factory=list)  # each summary's (asked, answered) times

    def per_minute(self) -> float:
        """Summaries answered per minute that the server had one in hand (digest times apart, a
        run's summaries come in bursts)."""
        busy, until = 0.0, float("-inf")
        for asked, answered in sorted(self.answered):
            busy += max(0.0, answered - max(asked, until))
            until = max(until, answered)
        return round(len(self.answered) / (busy / 60), 1) if busy else 0.0


def model_server(delay: float, log: ModelLog) -> web.Application:
    """Summaries that copy the article's first sentence, after `delay` seconds, logged in `log`;
    vectors that tell every text apart."""

    def first_sentence(prompt: str) -> str:
        source = prompt.split("\n\n", 1)[-1]
        source = re.sub(r"^\[\d+\]\s*", "", source)
        body = source.split("\n", 1)[-1] if _TITLE.match(source) else source
        return body.split(". ", 1)[0].rstrip(".") + "."

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "stand-in", "object": "model"}]})

    async def chat(request: web.Request) -> web.Response:
        prompt = (await request.json())["messages"][-1]["content"]
        numbers = {int(number) for number in _TITLE.findall(prompt)}  # headline prompts name none
        port = request.transport.get_extra_info("peername")[1]
        log.summarised.update(numbers)
        log.asked.extend((time.monotonic(), number, port) for number in numbers)
        log.in_flight.setdefault(port, set()).update(numbers)
        asked = time.monotonic()
        await asyncio.sleep(delay)
        log.in_flight[port] -= numbers
        if numbers:
            log.answered.append((asked, time.monotonic()))
        message = {"role": "assistant", "content": first_sentence(prompt)}
        return web.json_response({"object": "chat.completion",
                                  "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

    async def embeddings(request: web.Request) -> web.Response:
        texts = (await request.json())["input"]
        texts = [texts] if isinstance(texts, str) else texts
        rows = []
        for index, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
            vector = np.random.default_rng(seed).standard_normal(_DIMENSION)
            rows.append({"object": "embedding", "index": index, "embedding": (vector / np.linalg.norm(vector)).tolist()})
        return web.json_response({"object": "list", "data": rows, "model": "stand-in"})

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/embeddings", embeddings)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def write_config(folder: Path, api: FakeBotApi, feeds: list[str], model_url: str, database_url: str) -> Path:
    config = folder / "bot.yaml"
    config.write_text(yaml.safe_dump({
        "storage": {"url": database_url},
        "telegram": {"token": api.token, "base_url": api.base_url},
        "server": {"host": "127.0.0.1", "port": 0},
        "model": {"backend": "openai", "base_url": f"{model_url}/v1", "name": "stand-in", "timeout": 60},
        "embeddings": {"backend": "openai", "base_url": f"{model_url}/v1", "name": "stand-in"},
        "security": {"allow_private_urls": True},
        "fetch": {"host_delay": 0, "retries": 0},
        # Due once during a run: each is fetched once when the processes share the polling.
        "feeds": [{"name": f"feed-{n}", "url": url, "interval": "10m"} for n, url in enumerate(feeds)],
        "channels": [{"chat": chat, "language": "en", "digest": {"cron": "* * * * *", "timezone": "UTC"},
                      "max_stories": 50} for chat in CHANNELS.values()],
    }))
    return config


async def start_bot(config: Path, number: int) -> asyncio.subprocess.Process:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PTB_TIMEDELTA": "true", "PYTHONPATH": str(ROOT)}
    with (config.parent / f"bot-{number}.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )


async def busy_loops(count: int, seconds: float) -> list[asyncio.subprocess.Process]:
    """CPU load of its own, bounded: each loop ends by itself after `seconds`."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    return [await asyncio.create_subprocess_exec(sys.executable, "-c", code) for _ in range(count)]


def posted_stories(api: FakeBotApi, chat_id: int) -> Counter[int]:
    """How often each story reached the chat, by its article's link (stories the grouping put
    together are one item with both links)."""
    return Counter(int(number) for message in api.messages_to(chat_id) for number in _LINK.findall(message.text or ""))


def process_with_port(pids: list[int], port: int) -> int | None:
    """Which of the processes has a TCP socket on local `port` (Linux: /proc)."""
    inodes = {fields[9] for table in ("/proc/net/tcp", "/proc/net/tcp6") if Path(table).exists()
              for fields in (line.split() for line in Path(table).read_text().splitlines()[1:])
              if int(fields[1].rsplit(":", 1)[1], 16) == port}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


@dataclass
class Kill:
    pid: int | None = None  # the process killed
    at: float | None = None  # time.monotonic() of the SIGKILL
    unfinished: set[int] = field(default_factory=set)  # stories the killed process was having summarised


async def kill_one_mid_summary(bots: list[asyncio.subprocess.Process], log: ModelLog, after: int, kill: Kill) -> None:
    """SIGKILL a process with summaries in flight, once `after` summaries have been answered."""
    while True:
        await asyncio.sleep(0.05)
        if len(log.answered) < after:
            continue
        live = [bot.pid for bot in bots if bot.returncode is None]
        for port in [port for port, numbers in log.in_flight.items() if numbers]:
            pid = process_with_port(live, port)
            if pid is None:
                continue
            ports = {other for other in log.in_flight if process_with_port([pid], other) == pid}
            os.kill(pid, signal.SIGKILL)
            # No await since the ports were read: what they have in flight now is what the kill cut short.
            kill.pid, kill.at = pid, time.monotonic()
            kill.unfinished = {number for other in ports for number in log.in_flight[other]}
            return


def takeover_seconds(log: ModelLog, kill: Kill) -> float | None:
    """How long after the kill the last of its unfinished summaries was asked for again."""
    if kill.at is None:
        return None
    again = {}
    for asked_at, number, _ in log.asked:
        if asked_at > kill.at and number in kill.unfinished:
            again.setdefault(number, asked_at)
    if again.keys() != kill.unfinished:
        return None
    return round(max(again.values()) - kill.at, 1)


async def stop(process: asyncio.subprocess.Process) -> float:
    started = time.monotonic()
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_WAIT)
        except TimeoutError:
            process.kill()
            await process.wait()
    return round(time.monotonic() - started, 2)


async def run(folder: Path, database_url: str, *, processes: int = 3, feeds: int = 4, stories: int = 8,
              load: int = 2, model_delay: float = 0.0, kill: bool = False, timeout: float = 300) -> dict:
    killed = Kill()
    numbers = list(range(1, feeds * stories + 1))
    loads = await busy_loops(load, timeout + STOP_WAIT)
    try:
        async with FakeBotApi(enforce_rate_limits=False) as api, FeedServer() as feed_server:
            for chat_id, name in CHANNELS.items():
                api.add_chat(chat_id, username=name.lstrip("@"), type="channel")
            for feed in range(feeds):
                feed_server.route(f"/feed-{feed}.xml", reply(rss(feed, numbers[feed * stories:(feed + 1) * stories]),
                                                             headers={"Content-Type": "application/rss+xml"}))
            model_log = ModelLog()
            runner, model_url = await serve(model_server(model_delay, model_log))
            try:
                config = write_config(folder, api, [feed_server.url(f"/feed-{n}.xml") for n in range(feeds)],
                                      model_url, database_url)
                started = time.monotonic()
                bots = [await start_bot(config, number) for number in range(processes)]
                killing = asyncio.create_task(kill_one_mid_summary(bots, model_log, len(numbers) // 4, killed)) if kill else None
                try:
                    while time.monotonic() - started < timeout:
                        if all(set(posted_stories(api, chat)) >= set(numbers) for chat in CHANNELS):
                            break
                        if any(bot.returncode is not None and bot.pid != killed.pid for bot in bots):
                            break
                        await asyncio.sleep(1)
                    seconds = round(time.monotonic() - started, 1)
                    await asyncio.sleep(2)  # room for a repeat, if there were one
                finally:
                    if killing is not None:
                        killing.cancel()
                    exit_codes_before = [bot.returncode for bot in bots]
                    stop_seconds = list(await asyncio.gather(*(stop(bot) for bot in bots)))
            finally:
                await runner.cleanup()
    finally:
        for busy in loads:
            if busy.returncode is None:
                busy.kill()
            await busy.wait()
    posted = {chat: posted_stories(api, chat) for chat in CHANNELS}
    logs = "".join((folder / f"bot-{n}.log").read_text(errors="replace") for n in range(processes))
    return {
        "processes": processes,
        "feeds": feeds,
        "stories": len(numbers),
        "messages_expected": len(numbers) * len(CHANNELS),
        "messages_delivered": sum(len(counts) for counts in posted.values()),
        "missing": sum(len(set(numbers) - set(counts)) for counts in posted.values()),
        "duplicates": sum(count - 1 for counts in posted.values() for count in counts.values()),
        "seconds": seconds,
        "exited_early": [code for code in exit_codes_before if code is not None],
        "stop_seconds": stop_seconds,
        "exit_codes": [bot.returncode for bot in bots],
        "log_errors": logs.count("Traceback"),
        "fetches_per_due_feed": max(feed_server.hits[f"/feed-{n}.xml"] for n in range(feeds)),
        "summaries_per_story_language": max(model_log.summarised.values(), default=0),
        "summaries_per_minute": model_log.per_minute(),
        **({"takeover_s": takeover_seconds(model_log, killed), "killed_in_flight": len(killed.unfinished)} if kill else {}),
    }


async def main_async(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        async with throwaway_database(args.database_url) as database_url:
            result = await run(Path(tmp), database_url, processes=args.processes, feeds=args.feeds,
                               stories=args.stories, load=args.load, model_delay=args.model_delay,
                               kill=args.kill, timeout=args.timeout)
        if args.keep_logs:
            for log in Path(tmp).glob("bot-*.log"):
                (args.keep_logs / log.name).write_bytes(log.read_bytes())
    return result


def main() -> None:
    from tests.pg import SERVER_URL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--stories", type=int, default=8, help="stories per feed")
    parser.add_argument("--load", type=int, default=2, help="busy loops beside the bots")
    parser.add_argument("--model-delay", type=float, default=0.0, help="seconds the model server takes per summary")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one process while it has summaries in flight")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a line per figure")
    parser.add_argument("--database-url", default=SERVER_URL, help="a PostgreSQL server that allows CREATE DATABASE")
    parser.add_argument("--keep-logs", type=Path, default=None, help="copy the bots' logs into this folder")
    args = parser.parse_args()
    result = {**asyncio.run(main_async(args)), "machine": machine()}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>30}: {value}")


if __name__ == "__main__":
    main()
