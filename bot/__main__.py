"""python -m bot digest | poll | run"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time

from config.settings import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


class Steps:
    """Says on stderr what a long command is doing and how long each step took."""

    def __init__(self, total: int) -> None:
        self.total, self.number, self.started = total, 0, time.monotonic()

    def start(self, text: str) -> float:
        self.number += 1
        print(f"[{self.number}/{self.total}] {text} ...", file=sys.stderr, flush=True)
        return time.monotonic()

    def done(self, since: float, text: str) -> None:
        print(f"      {text} ({time.monotonic() - since:.1f} s)", file=sys.stderr, flush=True)

    async def wait(self, awaitable, every: float = 15.0):
        """Await a long step, saying every few seconds that it is still going."""
        task = asyncio.ensure_future(awaitable)
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            print(f"      still working ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    def finish(self) -> None:
        print(f"done in {time.monotonic() - self.started:.1f} s", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    digest = commands.add_parser("digest", help="poll the feeds once and build every channel's next digest")
    digest.add_argument("--config", required=True)
    digest.add_argument("--dry-run", action="store_true", help="print the digests; send and mark nothing")
    digest.add_argument("--json", action="store_true")
    poll = commands.add_parser("poll", help="poll the feeds once and store new articles")
    poll.add_argument("--config", required=True)
    run = commands.add_parser("run", help="run the Telegram bot (long polling; webhook when telegram.webhook_url is set)")
    run.add_argument("--config", required=True)
    run.add_argument("--check-config", action="store_true", help="validate the config and exit")
    return parser


async def _poll_and_group(runtime, steps: Steps) -> None:
    from bot.store.queries import all_feeds
    from bot.stories.assign import group_new_articles

    async with runtime.sessions() as session:
        feeds = await all_feeds(session)
    since = steps.start(f"polling {len(feeds)} feeds")
    outcomes = await runtime.poll_feeds(feeds)
    for outcome in outcomes:
        if outcome.error:
            print(f"      feed {outcome.feed} failed: {outcome.error}", file=sys.stderr)
        elif outcome.problem:
            print(f"      feed {outcome.feed}: {outcome.problem}", file=sys.stderr)
    new = sum(outcome.new_articles for outcome in outcomes)
    failing = sum(1 for outcome in outcomes if outcome.error)
    steps.done(since, f"{new} new articles, {failing} feeds failing")
    since = steps.start("grouping articles into stories")
    async with runtime.sessions() as session:
        created = await group_new_articles(session, await runtime.load_embedder())
    steps.done(since, f"{created} new stories")


async def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    from bot.resources import open_runtime

    steps = Steps(3)
    since = steps.start("opening the store")
    runtime = await open_runtime(settings, args.config)
    steps.done(since, settings.storage.url)
    try:
        await _poll_and_group(runtime, steps)
    finally:
        await runtime.close()
    steps.finish()
    return 0


async def _sequentially(awaitables) -> list:
    return [await awaitable for awaitable in awaitables]


async def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.digest import StorySummaries, build_digest, choose_stories
    from bot.resources import open_runtime
    from bot.store.queries import all_channels

    if not args.dry_run:
        print("error: only --dry-run is available from the command line; `python -m bot run` posts digests",
              file=sys.stderr)
        return 2
    steps = Steps(5)
    since = steps.start("opening the store")
    runtime = await open_runtime(settings, args.config)
    steps.done(since, settings.storage.url)
    try:
        await _poll_and_group(runtime, steps)
        since = steps.start(f"loading the model {settings.model.name or '(offline default)'}")
        backend = await steps.wait(runtime.load_model())
        steps.done(since, f"{backend.model_name} ready")
        async with runtime.sessions() as session:
            channels = await all_channels(session)
            total = sum([len(await choose_stories(session, channel)) for channel in channels])
        since = steps.start(f"summarising {total} stories for {len(channels)} channels")
        summaries = StorySummaries(runtime.sessions, backend, settings.model.max_chars)
        with tqdm(total=total, unit="story", file=sys.stderr, mininterval=1.0) as bar:
            # Channels one after another: each channel's stories are batched together.
            digests = await steps.wait(_sequentially(
                build_digest(runtime.sessions, channel, summaries, on_item=bar.update) for channel in channels
            ))
        steps.done(since, f"{sum(len(d.messages) for d in digests)} messages")
    finally:
        await runtime.close()
    steps.finish()
    if args.json:
        print(json.dumps({"channels": [d.to_json() for d in digests]}, ensure_ascii=False, indent=2))
    else:
        for digest in digests:
            print(f"=== {digest.chat} ({digest.language}): {len(digest.items)} stories, "
                  f"{len(digest.messages)} message(s) ===")
            for message in digest.messages:
                print(message)
                print("---")
    return 0


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import check_config, serve
    from bot.logs import configure_logging

    check_config(settings)
    if args.check_config:
        print(f"config ok: {len(settings.feeds)} feeds, {len(settings.channels)} channels")
        return 0
    configure_logging(settings.log, secrets=[settings.telegram.token, settings.model.api_key])
    await serve(settings, args.config)
    return 0


COMMANDS = {"digest": cmd_digest, "poll": cmd_poll, "run": cmd_run}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # Says when the first run converts the model, the one step that takes minutes.
    logging.getLogger("summarizer.model_files").setLevel(logging.INFO)
    from bot.store.db import StoreError
    from summarizer.types import SummarizerError

    try:
        settings = load_settings(args.config)
        return asyncio.run(COMMANDS[args.command](settings, args))
    except (ConfigError, StoreError, SummarizerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
