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
    run.add_argument("--role", choices=["all", "worker", "receiver"],
                     help="worker: everything but receiving Telegram updates; receiver: those updates "
                          "(commands) without polling feeds or scheduled digests; beside other processes "
                          "on the same PostgreSQL database (default: run.role, all)")
    return parser


async def _poll(resources, metrics, steps: Steps) -> None:
    from bot.usecases.polling import poll_feeds

    since = steps.start("polling the feeds and grouping new articles into stories")
    report = await poll_feeds(resources, metrics, only_due=False)
    for outcome in report.outcomes:
        if outcome.error:
            print(f"      feed {outcome.feed} failed: {outcome.error}", file=sys.stderr)
        elif outcome.problem:
            print(f"      feed {outcome.feed}: {outcome.problem}", file=sys.stderr)
    steps.done(since, f"{len(report.outcomes)} feeds, {report.new_articles} new articles, "
                      f"{len(report.failing)} feeds failing, {report.new_stories} new stories")


async def _opened(settings: Settings, args: argparse.Namespace, steps: Steps):
    from bot.resources import open_resources

    since = steps.start("opening the store")
    resources = await open_resources(settings, args.config)
    steps.done(since, settings.storage.url)
    return resources


async def cmd_poll(settings: Settings, args: argparse.Namespace) -> int:
    from bot.metrics import Metrics

    steps = Steps(2)
    resources = await _opened(settings, args, steps)
    try:
        await _poll(resources, Metrics(), steps)
    finally:
        await resources.close()
    steps.finish()
    return 0


async def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    """The bot's own digest use case, with posting switched off."""
    from tqdm import tqdm

    from bot.metrics import Metrics
    from bot.platforms import RENDERS
    from bot.store.queries import all_channels
    from bot.usecases.digests import Digests

    if not args.dry_run:
        print("error: only --dry-run is available from the command line; `python -m bot run` posts digests",
              file=sys.stderr)
        return 2
    steps = Steps(4)
    resources = await _opened(settings, args, steps)
    metrics = Metrics()
    runs = []
    platforms = []  # each run's channel's
    try:
        await _poll(resources, metrics, steps)
        since = steps.start(f"loading the model {settings.model.name or '(offline default)'}")
        summarizer = await steps.wait(resources.load_model())
        steps.done(since, f"{summarizer.model_name} ready")
        async with resources.sessions() as session:
            channels = await all_channels(session)
        since = steps.start(f"summarising the stories of {len(channels)} channels")
        digests = Digests(resources, metrics, RENDERS)
        with tqdm(unit="story", file=sys.stderr, mininterval=1.0) as bar:
            for channel in channels:  # one after another: each channel's stories are batched together
                run = await steps.wait(digests.preview(channel.id, on_item=bar.update))
                if run.digest is None:
                    print(f"      {channel.chat} is paused ({channel.paused_reason}): skipped", file=sys.stderr)
                else:
                    runs.append(run.digest)
                    platforms.append(channel.platform)
        steps.done(since, f"{sum(len(digest.messages) for digest in runs)} messages")
    finally:
        await resources.close()
    steps.finish()
    if args.json:
        print(json.dumps({"channels": [{**digest.to_json(), "platform": platform} for digest, platform in zip(runs, platforms, strict=True)]}, ensure_ascii=False, indent=2))
    else:
        for digest, platform in zip(runs, platforms, strict=True):
            print(f"=== {digest.chat} ({digest.language}, {platform}): {len(digest.items)} stories, "
                  f"{len(digest.messages)} message(s) ===")
            for message in digest.messages:
                print(message)
                print("---")
    return 0


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import check_config, serve
    from bot.logs import configure_logging

    if args.role:
        settings.run.role = args.role
    notes = check_config(settings)
    if args.check_config:
        print(f"config ok: {len(settings.feeds)} feeds, {len(settings.channels)} channels")
        for note in notes:
            print(f"note: {note}")
        return 0
    configure_logging(settings.log, secrets=[settings.telegram.token, settings.model.api_key,
                                             settings.matrix.access_token, settings.discord.bot_token,
                                             settings.slack.bot_token])
    await serve(settings, args.config)
    return 0


COMMANDS = {"digest": cmd_digest, "poll": cmd_poll, "run": cmd_run}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    # Says when the first run converts the model, the one step that takes minutes.
    logging.getLogger("summarizer.backends.model_files").setLevel(logging.INFO)
    from bot.store.db import StoreError
    from summarizer import SummarizerError

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
